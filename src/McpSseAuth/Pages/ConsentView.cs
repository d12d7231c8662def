using Microsoft.AspNetCore.Antiforgery;

namespace McpSseAuth.Pages;

/// <summary>
/// What the consent page shows: which application (its name, whether anyone vouches for it, the host it sends the user
/// back to), what it may do, for which servers and which user; and the form that answers.
/// </summary>
internal sealed record ConsentView(
    string? ClientName,
    string? Publisher,
    string RedirectHost,
    string Resources,
    string UserName,
    IReadOnlyList<ScopeWords> Scopes,
    string ConnectedAppsHref,
    string Action,
    string RequestHandle,
    AntiforgeryTokenSet Antiforgery);
