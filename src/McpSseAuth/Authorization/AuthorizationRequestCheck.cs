using McpSseAuth.Http;

namespace McpSseAuth.Authorization;

/// <summary>
/// What checking an authorization request found: the request when it is valid; otherwise the error to show as a page
/// (the client or its redirect URI cannot be trusted) or to redirect to the verified <see cref="RedirectUri"/> with
/// <see cref="State"/> (RFC 6749 §4.1.2.1).
/// </summary>
internal sealed record AuthorizationRequestCheck(ValidatedAuthorizationRequest? Request, OAuthError? PageError, OAuthError? RedirectError, string? RedirectUri, string? State)
{
    public static AuthorizationRequestCheck Valid(ValidatedAuthorizationRequest request) => new(request, null, null, request.RedirectUri, request.State);

    public static AuthorizationRequestCheck Page(OAuthError error) => new(null, error, null, null, null);

    public static AuthorizationRequestCheck Redirect(OAuthError error, string redirectUri, string? state) => new(null, null, error, redirectUri, state);
}
