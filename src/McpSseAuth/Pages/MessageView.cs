using Microsoft.AspNetCore.Components;

namespace McpSseAuth.Pages;

/// <summary>A page that says something: an optional problem (in red, announced), then lines of text or links.</summary>
internal sealed record MessageView(string? Problem, IReadOnlyList<MessageLine> Lines);

/// <summary>A paragraph of a message page; <paramref name="Class"/> is <c>muted</c> for the fine print.</summary>
internal sealed record MessageLine(RenderFragment Content, string? Class = null);
