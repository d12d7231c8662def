namespace McpSseAuth.Pages;

/// <summary>A page that says something: its title, an optional problem (in red, announced), then lines of text or links.</summary>
internal sealed record MessageView(string Title, string? Problem, IReadOnlyList<MessageLine> Lines);
