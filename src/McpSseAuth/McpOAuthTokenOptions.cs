namespace McpSseAuth;

/// <summary>
/// Lifetimes of what the authorization server issues, the claims access tokens carry, and the bound on authorization flows
/// in progress: the <c>Tokens</c> section of the configuration.
/// </summary>
public sealed class McpOAuthTokenOptions
{
    /// <summary>Lifetime of access tokens. Default 1 hour.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Idle lifetime of refresh tokens: one unused this long expires. Each use rotates the token and starts the time again,
    /// up to <see cref="RefreshTokenAbsoluteLifetime"/>. Default 30 days.
    /// </summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Absolute lifetime of a grant's refresh tokens, counted from the sign-in and consent that created the grant: after it
    /// the user must authorize the client again, however often it refreshed. Default 180 days.
    /// </summary>
    public TimeSpan RefreshTokenAbsoluteLifetime { get; set; } = TimeSpan.FromDays(180);

    /// <summary>
    /// How long a rotated refresh token presented again gets the same answer as its first use (the same new access and
    /// refresh tokens), so concurrent refreshes and retries after a lost response do not lock the user out. A replay after
    /// it revokes the whole grant (RFC 9700 §4.14.2). Zero turns the window off. Default 30 seconds; at most 5 minutes.
    /// </summary>
    public TimeSpan RefreshTokenReuseWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Lifetime of authorization codes (RFC 6749 §4.1.2 recommends at most 10 minutes). Default 1 minute.</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Upper bound on authorization flows in progress in the in-memory store: requests waiting for consent and codes not
    /// yet redeemed (each lives minutes). When reached, new authorization requests answer <c>temporarily_unavailable</c>
    /// instead of growing memory. Refresh tokens of existing grants do not count and are never refused. Default 100,000.
    /// </summary>
    public int MaxPendingAuthorizations { get; set; } = 100_000;

    /// <summary>Allowed clock skew when validating access tokens and client assertions. Default 30 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Claims of the signed-in user copied into access tokens, besides <c>sub</c> (multi-valued claims become arrays).
    /// Default <c>name</c> and <c>email</c>. Protocol claims (<c>iss</c>, <c>aud</c>, <c>scope</c>, ...) cannot be listed.
    /// </summary>
    public ISet<string> AccessTokenClaims { get; } = new HashSet<string>(StringComparer.Ordinal) { "name", "email" };
}
