namespace McpSseAuth.Tokens;

/// <summary>An access token as the token response carries it: the JWT and its lifetime in seconds (<c>expires_in</c>).</summary>
internal sealed record IssuedAccessToken(string Token, int ExpiresIn);
