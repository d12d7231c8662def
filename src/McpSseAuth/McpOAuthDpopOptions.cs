namespace McpSseAuth;

/// <summary>
/// Sender-constrained access tokens with DPoP (RFC 9449): the <c>Dpop</c> section of the configuration. A client that
/// sends a DPoP proof to the token endpoint gets tokens bound to its key (<c>cnf.jkt</c>, <c>token_type: DPoP</c>), and
/// the MCP endpoints then accept them only with a fresh proof of that key on every request, on both transports.
/// </summary>
public sealed class McpOAuthDpopOptions
{
    /// <summary>
    /// Whether DPoP is offered (default true): advertised in the metadata, bound tokens issued to clients that send a
    /// proof. Clients that send none keep getting bearer tokens unless <see cref="Required"/> or the client's own setting
    /// (<see cref="McpOAuthClient.RequireDpop"/>, the registered metadata <c>dpop_bound_access_tokens</c>) asks for DPoP.
    /// With false, proofs are ignored at the token endpoint and DPoP-bound tokens issued before are refused.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Every client must use DPoP (default false): token requests without a proof are refused, and the MCP endpoints
    /// refuse bearer tokens (the protected resource metadata says <c>dpop_bound_access_tokens_required</c>). Clients
    /// without DPoP support, which is most MCP clients today, then cannot connect.
    /// </summary>
    public bool Required { get; set; }

    /// <summary>
    /// Proofs must carry a nonce this server issued (RFC 9449 §8 and §9; default false): a proof made in advance by an
    /// attacker who had the key for a moment is of no use later. Clients are told the nonce with <c>use_dpop_nonce</c>
    /// and retry; costs each client one extra round trip per <see cref="NonceLifetime"/>.
    /// </summary>
    public bool RequireNonce { get; set; }

    /// <summary>
    /// How old a proof may be (its <c>iat</c>; default 1 minute), on top of <see cref="McpOAuthTokenOptions.ClockSkew"/>
    /// either way. Each proof's <c>jti</c> is remembered in the storage that long, so it is accepted once by all instances.
    /// </summary>
    public TimeSpan ProofLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a nonce of this server is accepted (default 5 minutes); a new one is sent after half of it.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(5);
}
