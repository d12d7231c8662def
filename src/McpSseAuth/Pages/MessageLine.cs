using Microsoft.AspNetCore.Components;

namespace McpSseAuth.Pages;

/// <summary>A paragraph of a message page; <paramref name="Class"/> is <c>muted</c> for the fine print.</summary>
internal sealed record MessageLine(RenderFragment Content, string? Class = null);
