using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Http;

/// <summary>
/// The authorization server's HTML pages: every value HTML-encoded, never framed (clickjacking, RFC 9700 §4.16),
/// never cached, no scripts.
/// </summary>
internal static class HtmlPage
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}" +
        "h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}" +
        "button,a.button{display:inline-block;margin:1rem .5rem 0 0;padding:.5rem 1.2rem}a.button{border:1px solid #767676;border-radius:2px;color:inherit;text-decoration:none;background:#efefef}" +
        ".providers{list-style:none;padding:0}h2{font-size:1.1rem;margin-bottom:.2rem}section{border-top:1px solid #ddd;margin-top:1rem}nav{font-size:.9rem}" +
        ".error{color:#a40000}.muted{color:#555}li{margin:.3rem 0}";

    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    // bodyHtml must already be encoded; formActionOrigin is an extra origin a form may end up at (a redirect after a POST).
    public static Task WriteAsync(HttpContext context, int statusCode, string title, string bodyHtml, string? formActionOrigin = null)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        ApplySecurityHeaders(response, formActionOrigin);
        response.ContentType = "text/html; charset=utf-8";

        var html = new StringBuilder(1024)
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta name=\"referrer\" content=\"no-referrer\">")
            .Append("<title>").Append(Encode(title)).Append("</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<h1>").Append(Encode(title)).Append("</h1>")
            .Append(bodyHtml)
            .Append("</body></html>");
        return response.WriteAsync(html.ToString(), context.RequestAborted);
    }

    /// <summary>An error page for a browser caller: what went wrong, and no redirect to an unverified address.</summary>
    // returnUri: where the user may choose to take the error back to the application; null for none.
    public static Task WriteErrorAsync(HttpContext context, OAuthError error, string? returnUri = null)
    {
        var body = $"<p class=\"error\">{Encode(error.Description)}</p><p class=\"muted\">Error code: <code>{Encode(error.Error)}</code>. " +
                   "Return to the application and try again; if it keeps happening, tell the application's developer.</p>";
        if (returnUri is not null && Uri.TryCreate(returnUri, UriKind.Absolute, out var target))
        {
            body += $"<p><a href=\"{Encode(returnUri)}\" rel=\"noreferrer\">Return to {Encode(target.Authority)}</a></p>";
        }

        return WriteAsync(context, error.StatusCode == 401 ? 400 : error.StatusCode, "Authorization failed", body);
    }

    public static void ApplySecurityHeaders(HttpResponse response, string? formActionOrigin = null)
    {
        var formAction = formActionOrigin is null ? "'self'" : $"'self' {formActionOrigin}";
        response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}
