using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Pages;

/// <summary>
/// Renders a page component inside the configured layout with ASP.NET Core's <see cref="HtmlRenderer"/>, which encodes
/// every value, and sends it never framed (clickjacking, RFC 9700 §4.16), never cached, without scripts.
/// </summary>
internal sealed class PageWriter(IOptionsMonitor<McpOAuthOptions> options, ILoggerFactory loggerFactory)
{
    /// <summary>The words of the pages, as configured now.</summary>
    public McpOAuthPageTexts Texts => options.CurrentValue.Pages.Texts;

    /// <summary>
    /// Renders <typeparamref name="TPage"/>, which reads <paramref name="model"/> as a cascading parameter of its type.
    /// <paramref name="formActionOrigin"/> is an extra origin a form may end up at (a redirect after a POST), or null.
    /// </summary>
    public async Task WriteAsync<TPage>(HttpContext context, int statusCode, string title, object model, string? formActionOrigin = null)
        where TPage : IComponent
    {
        var pages = options.CurrentValue.Pages;
        var response = context.Response;
        response.StatusCode = statusCode;
        ApplySecurityHeaders(response, formActionOrigin);
        response.ContentType = "text/html; charset=utf-8";

        await using var renderer = new HtmlRenderer(context.RequestServices, loggerFactory);
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var parameters = ParameterView.FromDictionary(new Dictionary<string, object?>
            {
                [nameof(PageHost.Layout)] = pages.Layout ?? typeof(McpOAuthLayout),
                [nameof(PageHost.Page)] = typeof(TPage),
                [nameof(PageHost.Info)] = new McpOAuthPage(title, statusCode, pages.Texts),
                [nameof(PageHost.Model)] = model,
            });
            var output = await renderer.RenderComponentAsync<PageHost>(parameters);
            return output.ToHtmlString();
        });
        await response.WriteAsync(html, context.RequestAborted);
    }

    private static void ApplySecurityHeaders(HttpResponse response, string? formActionOrigin)
    {
        var formAction = formActionOrigin is null ? "'self'" : $"'self' {formActionOrigin}";
        // A layout may bring its own stylesheet and images from this server, never scripts.
        response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}
