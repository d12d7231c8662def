using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Http;

/// <summary>The posted form of one of our pages: bounded, no repeated fields, anti-forgery token checked (CSRF, RFC 9700 §4.7).</summary>
internal static class HtmlForm
{
    /// <summary>Returns the fields, or writes an error page and returns null.</summary>
    public static async Task<OAuthParameters?> ReadAsync(HttpContext context, IAntiforgery antiforgery)
    {
        var (parameters, error) = await OAuthParameters.ReadFormAsync(context);
        if (error is null && !await antiforgery.IsRequestValidAsync(context))
        {
            error = OAuthError.InvalidRequest("The form has expired or did not come from this server. Return to the application and start again.");
        }

        if (error is not null)
        {
            await HtmlPage.WriteErrorAsync(context, error);
            return null;
        }

        return parameters;
    }

    /// <summary>Where a redirect URI sends the user, as the pages name it: host and port, or the private-use scheme.</summary>
    public static string RedirectHost(Uri redirectUri)
        => redirectUri.Scheme is "http" or "https" ? redirectUri.Authority : redirectUri.Scheme + ":";
}
