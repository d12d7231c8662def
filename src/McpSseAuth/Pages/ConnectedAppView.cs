namespace McpSseAuth.Pages;

/// <summary>One application on the connected-apps page; dates already written for people.</summary>
internal sealed record ConnectedAppView(string ClientId, string? Name, string RedirectHosts, IReadOnlyList<ScopeWords> Scopes, string? AllowedOn, string? LastUsed, int OpenSessions);
