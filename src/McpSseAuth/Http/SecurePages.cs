using McpSseAuth.Pages;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Http;

/// <summary>
/// With an https issuer, the pages' cookies and forms are <c>Secure</c> (<c>__Host-</c>), and ASP.NET Core refuses to make them
/// for a request it sees as http. That happens behind a TLS-terminating proxy whose forwarded headers the app does not trust,
/// or when someone reaches the app around the proxy: such a request gets a page that says so (421) instead of a 500.
/// </summary>
internal sealed class SecurePages(IOptions<McpOAuthOptions> options, ILogger<SecurePages> logger)
{
    private int _told;

    public RequestDelegate Wrap(RequestDelegate page) => context =>
    {
        if (options.Value.Issuer is not { Scheme: "https" } issuer || context.Request.IsHttps)
        {
            return page(context);
        }

        if (Interlocked.Exchange(ref _told, 1) == 0)
        {
            Log.PageRequestOverHttp(logger, context.Request.Path.Value ?? "");
        }

        var problem = $"This server is at {issuer.GetLeftPart(UriPartial.Authority)}, but this request reached it over plain http, so the sign-in pages cannot be shown.";
        var advice = "If you typed an http address, use the https one. If you run this server behind a proxy that ends TLS, " +
                     "let the app trust the proxy's X-Forwarded-Proto header with app.UseForwardedHeaders().";
        return HtmlPage.WriteMessageAsync(context, StatusCodes.Status421MisdirectedRequest, texts => new MessageView(texts.UseHttpsTitle, problem, [new(Sentences.Plain(advice), "muted")]));
    };
}
