using McpSseAuth.Http;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>Signs the user out of the authorization server; a POST with an anti-forgery token, so no page can log users out.</summary>
internal sealed class LogoutEndpoint(IAntiforgery antiforgery, IOptions<McpOAuthOptions> options)
{
    public Task HandleGetAsync(HttpContext context)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = $"<form method=\"post\" action=\"{HtmlPage.Encode((context.Request.PathBase + options.Value.Paths.Logout).ToUriComponent())}\">" +
                   HtmlForm.AntiforgeryField(tokens) +
                   "<p>Sign out of this authorization server? Applications keep the access they were granted.</p>" +
                   "<button type=\"submit\">Sign out</button></form>";
        return HtmlPage.WriteAsync(context, 200, "Sign out", body);
    }

    public async Task HandlePostAsync(HttpContext context)
    {
        if (await HtmlForm.ReadAsync(context, antiforgery) is null)
        {
            return;
        }

        await context.SignOutAsync(McpOAuthDefaults.SignInCookieScheme);
        await HtmlPage.WriteAsync(context, 200, "Signed out", "<p>You are signed out.</p>");
    }
}
