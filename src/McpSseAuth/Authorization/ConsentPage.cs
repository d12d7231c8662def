using System.Text;
using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>
/// The consent page: which application (its name and the host it sends the user back to), what it may do, for
/// which server. The form's buttons are <c>name="decision"</c> with values <c>allow</c> and <c>deny</c>.
/// </summary>
internal sealed class ConsentPage(IAntiforgery antiforgery, IOptions<McpOAuthOptions> options)
{
    public Task WriteAsync(HttpContext context, string requestHandle, ClientRegistration client, string redirectUri, IReadOnlyList<string> scopes, IReadOnlyList<string> resources, GrantSubject user)
    {
        var o = options.Value;
        var tokens = antiforgery.GetAndStoreTokens(context);
        var redirect = new Uri(redirectUri);
        var redirectHost = HtmlForm.RedirectHost(redirect);
        var name = client.ClientName ?? "An unnamed application";

        var body = new StringBuilder()
            .Append("<p><strong>").Append(HtmlPage.Encode(name)).Append("</strong> wants to access <strong>")
            .Append(HtmlPage.Encode(string.Join(", ", resources))).Append("</strong> as <strong>").Append(HtmlPage.Encode(user.Name ?? user.Subject)).Append("</strong>.</p>")
            .Append("<p class=\"muted\">After you decide, you will be sent to <strong>").Append(HtmlPage.Encode(redirectHost)).Append("</strong>.")
            .Append(client.MetadataDocumentHost is { } publisher
                ? " The application is published by <strong>" + HtmlPage.Encode(publisher) + "</strong> (verified: its description was fetched from there)."
                : client.ClientName is null ? "" : " The name above was given by the application itself and is not verified.")
            .Append("</p><p>It will be able to:</p><ul>");
        foreach (var scope in scopes)
        {
            var words = o.Scopes.WordsFor(scope);
            body.Append("<li>").Append(HtmlPage.Encode(words)).Append(" <span class=\"muted\">(").Append(HtmlPage.Encode(scope)).Append(")</span></li>");
        }

        body.Append("</ul><p class=\"muted\">If you allow, this is remembered for this application; you can take it back on <a href=\"")
            .Append(HtmlPage.Encode((context.Request.PathBase + o.Paths.ConnectedApps).ToUriComponent())).Append("\">Connected apps</a>.</p>")
            .Append("<form method=\"post\" action=\"").Append(HtmlPage.Encode(context.Request.PathBase + o.Paths.Consent)).Append("\">")
            .Append(HtmlForm.AntiforgeryField(tokens))
            .Append("<input type=\"hidden\" name=\"request_id\" value=\"").Append(HtmlPage.Encode(requestHandle)).Append("\">")
            .Append("<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>")
            .Append("<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>")
            .Append("</form>");

        // form-action must also allow the redirect's origin: browsers apply it to the redirect after the POST.
        var formActionOrigin = redirect.Scheme is "http" or "https" ? redirect.GetLeftPart(UriPartial.Authority) : redirect.Scheme + ":";
        return HtmlPage.WriteAsync(context, 200, "Allow access?", body.ToString(), formActionOrigin);
    }
}
