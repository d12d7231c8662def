using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// A request refused for its DPoP binding (RFC 9449 §7): the error for the challenge (<c>invalid_dpop_proof</c>,
/// <c>use_dpop_nonce</c> with the nonce to send, or <c>invalid_token</c>) and a fixed description.
/// </summary>
internal sealed class DpopRefusedException(string error, string description, string? nonce = null) : SecurityTokenValidationException(description)
{
    public string Error { get; } = error;

    public string Description { get; } = description;

    public string? Nonce { get; } = nonce;
}
