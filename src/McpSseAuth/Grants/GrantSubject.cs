namespace McpSseAuth.Grants;

/// <summary>
/// Who the tokens act for: the user's stable subject, a display name, and the claims access tokens carry
/// (<see cref="McpOAuthTokenOptions.AccessTokenClaims"/>, captured at consent).
/// </summary>
internal sealed record GrantSubject(string Subject, string? Name, IReadOnlyDictionary<string, string[]>? Claims = null);
