namespace McpSseAuth.Pages;

/// <summary>One service on the service-tokens page, and whether the user stored a token for it.</summary>
internal sealed record ServiceTokenView(string Name, string DisplayName, string? Description, string? HelpUrl, bool Stored);
