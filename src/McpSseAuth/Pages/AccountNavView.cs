namespace McpSseAuth.Pages;

/// <summary>The navigation of the signed-in user's pages; <paramref name="ServiceTokensHref"/> is null when there are none.</summary>
internal sealed record AccountNavView(string UserName, string ConnectedAppsHref, string? ServiceTokensHref, string LogoutHref);
