namespace McpSseAuth.Pages;

/// <summary>One service on the service-tokens page, and whether the user stored a token for it.</summary>
/// <param name="Name">The service's name.</param>
/// <param name="DisplayName">Its name on the page.</param>
/// <param name="Description">What the token is for.</param>
/// <param name="HelpUrl">Where to get one.</param>
/// <param name="Stored">Whether the user stored a token or connected an account.</param>
/// <param name="Connect">Whether users connect their account (a scheme's code flow) rather than paste a token.</param>
/// <param name="Lost">Whether the connection stopped working (its provider refused to refresh it).</param>
internal sealed record ServiceTokenView(string Name, string DisplayName, string? Description, string? HelpUrl, bool Stored, bool Connect = false, bool Lost = false);
