using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>
/// Asks the user to consent: which application (its name and the host it sends the user back to), what it may do, for
/// which server. The page's buttons are <c>name="decision"</c> with values <c>allow</c> and <c>deny</c>.
/// </summary>
internal sealed class ConsentPrompt(IAntiforgery antiforgery, PageWriter pages, IOptions<McpOAuthOptions> options)
{
    public Task WriteAsync(HttpContext context, string requestHandle, ClientRegistration client, string redirectUri, IReadOnlyList<string> scopes, IReadOnlyList<string> resources, GrantSubject user)
    {
        var o = options.Value;
        var redirect = new Uri(redirectUri);
        var view = new ConsentView(
            client.ClientName,
            client.MetadataDocumentHost,
            HtmlForm.RedirectHost(redirect),
            string.Join(", ", resources),
            user.Name ?? user.Subject,
            [.. scopes.Select(s => new ScopeWords(s, o.Scopes.WordsFor(s)))],
            (context.Request.PathBase + o.Paths.ConnectedApps).ToUriComponent(),
            (context.Request.PathBase + o.Paths.Consent).ToUriComponent(),
            requestHandle,
            antiforgery.GetAndStoreTokens(context));

        // form-action must also allow the redirect's origin: browsers apply it to the redirect after the POST.
        var formActionOrigin = redirect.Scheme is "http" or "https" ? redirect.GetLeftPart(UriPartial.Authority) : redirect.Scheme + ":";
        return pages.WriteAsync<ConsentPage>(context, 200, pages.Texts.ConsentTitle, view, formActionOrigin);
    }
}
