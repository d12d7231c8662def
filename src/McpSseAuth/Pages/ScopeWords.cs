namespace McpSseAuth.Pages;

/// <summary>A scope and the words a person reads for it.</summary>
internal sealed record ScopeWords(string Scope, string Words);
