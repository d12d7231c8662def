using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Http;

/// <summary>An OAuth error as RFC 6749 §5.2 / RFC 7591 §3.2.2 shape it, with the HTTP status it maps to.</summary>
internal sealed record OAuthError(string Error, string Description, int StatusCode)
{
    // One table: error code → status (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707 §2, RFC 6750 §3.1, OIDC Core §3.1.2.6, RFC 9449 §5 and §8).
    public static OAuthError InvalidRequest(string description) => new(OAuthErrorCodes.InvalidRequest, description, 400);
    public static OAuthError InvalidClient(string description) => new(OAuthErrorCodes.InvalidClient, description, 401);
    public static OAuthError InvalidGrant(string description) => new(OAuthErrorCodes.InvalidGrant, description, 400);
    public static OAuthError UnauthorizedClient(string description) => new(OAuthErrorCodes.UnauthorizedClient, description, 400);
    public static OAuthError UnsupportedGrantType(string description) => new(OAuthErrorCodes.UnsupportedGrantType, description, 400);
    public static OAuthError InvalidScope(string description) => new(OAuthErrorCodes.InvalidScope, description, 400);
    public static OAuthError InvalidTarget(string description) => new(OAuthErrorCodes.InvalidTarget, description, 400);
    public static OAuthError UnsupportedResponseType(string description) => new(OAuthErrorCodes.UnsupportedResponseType, description, 400);
    public static OAuthError AccessDenied(string description) => new(OAuthErrorCodes.AccessDenied, description, 403);
    public static OAuthError InvalidRedirectUri(string description) => new(OAuthErrorCodes.InvalidRedirectUri, description, 400);
    public static OAuthError InvalidClientMetadata(string description) => new(OAuthErrorCodes.InvalidClientMetadata, description, 400);
    public static OAuthError TemporarilyUnavailable(string description) => new(OAuthErrorCodes.TemporarilyUnavailable, description, 503);
    public static OAuthError PayloadTooLarge(string description) => new(OAuthErrorCodes.InvalidRequest, description, 413);
    public static OAuthError UnsupportedMediaType(string description) => new(OAuthErrorCodes.InvalidRequest, description, 415);
    public static OAuthError MethodNotAllowed(string description) => new(OAuthErrorCodes.InvalidRequest, description, 405);
    public static OAuthError ConsentRequired(string description) => new(OAuthErrorCodes.ConsentRequired, description, 400);
    public static OAuthError LoginRequired(string description) => new(OAuthErrorCodes.LoginRequired, description, 400);
    public static OAuthError InvalidDpopProof(string description) => new(OAuthErrorCodes.InvalidDpopProof, description, 400);
    public static OAuthError UseDpopNonce(string description) => new(OAuthErrorCodes.UseDpopNonce, description, 400);

    /// <summary>Writes <c>{"error", "error_description"}</c> with <c>Cache-Control: no-store</c>.</summary>
    public Task WriteAsync(HttpContext context)
    {
        Telemetry.EndpointStep.Refused(context, Error);
        var response = context.Response;
        response.StatusCode = StatusCode;
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        if (StatusCode == 401 && Error == OAuthErrorCodes.InvalidClient)
        {
            // RFC 6749 §5.2: a 401 for invalid_client carries a challenge.
            AuthenticateChallenge.Basic("oauth").AppendTo(response);
        }
        return response.WriteAsJsonAsync(new Body(Error, Description), OAuthJsonContext.Default.OAuthErrorBody, contentType: "application/json", context.RequestAborted);
    }

    internal sealed record Body(
        [property: JsonPropertyName("error")] string Error,
        [property: JsonPropertyName("error_description")] string Description);
}
