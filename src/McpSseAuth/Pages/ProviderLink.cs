namespace McpSseAuth.Pages;

/// <summary>A remote sign-in scheme as the login page offers it.</summary>
internal sealed record ProviderLink(string DisplayName, string Href);
