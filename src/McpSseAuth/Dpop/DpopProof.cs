namespace McpSseAuth.Dpop;

/// <summary>A DPoP proof that passed every check of RFC 9449 §4.3: the thumbprint of its key (RFC 7638), its <c>jti</c>.</summary>
internal sealed record DpopProof(string Jkt, string Jti);

/// <summary>
/// What a DPoP check found: a proof, no proof at all (both null), or the error of RFC 9449 §7.1 / §8
/// (<c>invalid_dpop_proof</c>, or <c>use_dpop_nonce</c> with the nonce to retry with).
/// </summary>
internal readonly record struct DpopCheck(DpopProof? Proof, string? Error, string? Description, string? Nonce = null)
{
    public const string InvalidProof = "invalid_dpop_proof";
    public const string UseNonce = "use_dpop_nonce";

    public static DpopCheck Absent => default;

    public static DpopCheck Invalid(string description) => new(null, InvalidProof, description);

    public bool Failed => Error is not null;
}
