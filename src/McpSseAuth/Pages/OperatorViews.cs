using Microsoft.AspNetCore.Antiforgery;

namespace McpSseAuth.Pages;

/// <summary>The operator's overview: every user who signed in, and every client; dates already written for people.</summary>
internal sealed record OperatorOverviewView(AccountNavView Nav, string? Notice, IReadOnlyList<OperatorUserRow> Users, IReadOnlyList<OperatorClientRow> Clients);

/// <summary>One user: their grants and live sessions, each with its revoke form; <paramref name="Page"/> is the overview, where the forms post.</summary>
internal sealed record OperatorUserView(AccountNavView Nav, string? Notice, OperatorUserRow User, IReadOnlyList<OperatorGrantRow> Grants, IReadOnlyList<OperatorSessionRow> Sessions, string Page, AntiforgeryTokenSet Antiforgery);

internal sealed record OperatorUserRow(string Subject, string Name, string? Method, string? LastSignIn, int LiveSessions, string Href);

internal sealed record OperatorClientRow(string ClientId, string? Name, string Kind, string RedirectHosts, string? Registered, string? LastUsed);

internal sealed record OperatorGrantRow(string GrantId, string ClientId, string? ClientName, string Scopes, string Created, string LastUsed, string Expires);

internal sealed record OperatorSessionRow(string SessionId, string Transport, string ClientId, string Started, string LastActivity);
