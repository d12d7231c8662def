namespace McpSseAuth.Http;

/// <summary>Error codes of RFC 6749, RFC 6750, RFC 7591, RFC 8707 and OpenID Connect Core §3.1.2.6 (<c>prompt=none</c>).</summary>
internal static class OAuthErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string InvalidScope = "invalid_scope";
    public const string InvalidTarget = "invalid_target";
    public const string UnsupportedResponseType = "unsupported_response_type";
    public const string AccessDenied = "access_denied";
    public const string TemporarilyUnavailable = "temporarily_unavailable";
    public const string InvalidRedirectUri = "invalid_redirect_uri";
    public const string InvalidClientMetadata = "invalid_client_metadata";
    public const string InvalidToken = "invalid_token";
    public const string ConsentRequired = "consent_required";
    public const string LoginRequired = "login_required";
    public const string InvalidDpopProof = "invalid_dpop_proof";
    public const string UseDpopNonce = "use_dpop_nonce";
}
