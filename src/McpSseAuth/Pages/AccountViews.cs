using Microsoft.AspNetCore.Antiforgery;

namespace McpSseAuth.Pages;

/// <summary>The navigation of the signed-in user's pages; <paramref name="ServiceTokensHref"/> is null when there are none.</summary>
internal sealed record AccountNavView(string UserName, string ConnectedAppsHref, string? ServiceTokensHref, string LogoutHref);

/// <summary>The connected-apps page: an entry per application holding a grant or a remembered consent.</summary>
internal sealed record ConnectedAppsView(AccountNavView Nav, string? Notice, IReadOnlyList<ConnectedAppView> Apps, string Action, AntiforgeryTokenSet Antiforgery);

/// <summary>One application on the connected-apps page; dates already written for people.</summary>
internal sealed record ConnectedAppView(string ClientId, string? Name, string RedirectHosts, IReadOnlyList<ScopeWords> Scopes, string? AllowedOn, string? LastUsed, int OpenSessions);

/// <summary>The service-tokens page: a form per configured service.</summary>
internal sealed record ServiceTokensView(AccountNavView Nav, string? Notice, string? Problem, IReadOnlyList<ServiceTokenView> Services, string Action, int MaxTokenLength, AntiforgeryTokenSet Antiforgery);

/// <summary>One service on the service-tokens page, and whether the user stored a token for it.</summary>
internal sealed record ServiceTokenView(string Name, string DisplayName, string? Description, bool Stored);
