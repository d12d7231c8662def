using McpSseAuth.Http;

namespace McpSseAuth.Tokens;

/// <summary>A token presented to the revocation or introspection endpoint, looked up as either kind.</summary>
internal static class PresentedToken
{
    /// <summary>
    /// What the token is, as an access token or a refresh token. The hint only orders the lookups (RFC 7009 §2.1,
    /// RFC 7662 §2.1), an unknown hint is ignored; without one, a JWT (access token) is tried as an access token first.
    /// </summary>
    public static async Task<T?> LookUpAsync<T>(OAuthParameters parameters, string token, Func<Task<T?>> asAccessToken, Func<Task<T?>> asRefreshToken)
        where T : class
    {
        var hint = parameters["token_type_hint"];
        var accessFirst = hint == "access_token" || (hint != "refresh_token" && token.Contains('.', StringComparison.Ordinal));
        return accessFirst
            ? await asAccessToken() ?? await asRefreshToken()
            : await asRefreshToken() ?? await asAccessToken();
    }
}
