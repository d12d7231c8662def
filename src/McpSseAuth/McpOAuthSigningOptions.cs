using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth;

/// <summary>The keys that sign access tokens: the <c>Signing</c> section of the configuration.</summary>
public sealed class McpOAuthSigningOptions
{
    /// <summary>
    /// A key that signs access tokens (asymmetric: ECDSA or RSA), used as is and never rotated. When null (the default),
    /// McpSseAuth keeps a key ring of <see cref="Algorithm"/> keys that rotates every <see cref="RotationPeriod"/>, kept in
    /// <see cref="KeyDirectory"/> or the chosen storage across restarts.
    /// </summary>
    public SigningCredentials? Credentials { get; set; }

    /// <summary>Folder where the key ring is kept (private keys as owner-only PEM files). Null keeps it in the storage (memory by default).</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>Algorithm of the keys McpSseAuth creates: <c>ES256</c> (the default, ECDSA P-256) or <c>RS256</c> (RSA 2048).</summary>
    public string Algorithm { get; set; } = "ES256";

    /// <summary>
    /// How long each created key signs before the next takes over (default 30 days). The next key is published in the JWKS
    /// ahead of use, so caches know it before it signs; a retired key stays published until every token it signed has
    /// expired, so no valid token breaks. At least 1 hour.
    /// </summary>
    public TimeSpan RotationPeriod { get; set; } = TimeSpan.FromDays(30);
}
