using Microsoft.AspNetCore.Antiforgery;

namespace McpSseAuth.Pages;

/// <summary>The connected-apps page: an entry per application holding a grant or a remembered consent.</summary>
internal sealed record ConnectedAppsView(AccountNavView Nav, string? Notice, IReadOnlyList<ConnectedAppView> Apps, string Action, AntiforgeryTokenSet Antiforgery);
