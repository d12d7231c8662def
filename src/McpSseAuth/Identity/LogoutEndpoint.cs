using McpSseAuth.Http;
using McpSseAuth.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>Signs the user out of the authorization server; a POST with an anti-forgery token, so no page can log users out.</summary>
internal sealed class LogoutEndpoint(IAntiforgery antiforgery, PageWriter pages, IOptions<McpOAuthOptions> options)
{
    public Task HandleGetAsync(HttpContext context)
    {
        var view = new LogoutView((context.Request.PathBase + options.Value.Paths.Logout).ToUriComponent(), antiforgery.GetAndStoreTokens(context));
        return pages.WriteAsync<LogoutPage>(context, 200, pages.Texts.SignOut, view);
    }

    public async Task HandlePostAsync(HttpContext context)
    {
        if (await HtmlForm.ReadAsync(context, antiforgery) is null)
        {
            return;
        }

        await context.SignOutAsync(McpOAuthDefaults.SignInCookieScheme);
        await HtmlPage.WriteMessageAsync(context, 200, texts => new MessageView(texts.SignedOutTitle, null, [new(Sentences.Plain(texts.SignedOut))]));
    }
}
