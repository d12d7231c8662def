using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace McpSseAuth.Authorization;

/// <summary>Redirects back to a verified redirect URI with the result, <c>state</c> and <c>iss</c> (RFC 9207).</summary>
internal static class AuthorizationResponse
{
    public static void RedirectWithCode(HttpContext context, string redirectUri, string code, string? state, string issuer)
        => Redirect(context, redirectUri, new Dictionary<string, string?> { ["code"] = code, ["state"] = state, ["iss"] = issuer });

    public static void RedirectWithError(HttpContext context, string redirectUri, OAuthError error, string? state, string issuer)
    {
        Telemetry.EndpointStep.Refused(context, error.Error);
        Redirect(context, redirectUri, ErrorParameters(error, state, issuer));
    }

    /// <summary>The redirect URI carrying an error response (RFC 6749 §4.1.2.1, RFC 9207), for a link the user may follow.</summary>
    public static string ErrorUri(string redirectUri, OAuthError error, string? state, string issuer)
        => Build(redirectUri, ErrorParameters(error, state, issuer));

    private static Dictionary<string, string?> ErrorParameters(OAuthError error, string? state, string issuer) => new()
    {
        ["error"] = error.Error,
        ["error_description"] = error.Description,
        ["state"] = state,
        ["iss"] = issuer,
    };

    private static void Redirect(HttpContext context, string redirectUri, Dictionary<string, string?> parameters)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect(Build(redirectUri, parameters));
    }

    private static string Build(string redirectUri, Dictionary<string, string?> parameters)
        => QueryHelpers.AddQueryString(redirectUri, parameters.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
}
