using Microsoft.AspNetCore.Antiforgery;

namespace McpSseAuth.Pages;

/// <summary>
/// What the login page shows: a problem, a link per remote sign-in scheme, and the local form (posting <c>username</c>,
/// <c>password</c> and the return URL) when there are local users.
/// </summary>
internal sealed record LoginView(
    string? Problem,
    IReadOnlyList<ProviderLink> Providers,
    bool ShowForm,
    string Action,
    string ReturnUrlField,
    string ReturnUrl,
    string UserName,
    AntiforgeryTokenSet Antiforgery);
