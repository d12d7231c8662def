namespace McpSseAuth;

/// <summary>
/// The look and words of the authorization server's pages (login, consent, connected apps, service tokens, sign-out,
/// errors): the <c>Pages</c> section of the configuration. The pages are Razor components rendered on the server, so
/// every value is HTML-encoded by the renderer; see docs/pages.md.
/// </summary>
public sealed class McpOAuthPageOptions
{
    /// <summary>
    /// A Razor layout (a component deriving from <c>LayoutComponentBase</c>) that wraps every page: the whole document,
    /// from <c>&lt;!DOCTYPE html&gt;</c> to <c>&lt;/html&gt;</c>, with <c>@Body</c> where the page goes. It receives the
    /// page's <see cref="McpOAuthPage"/> as a cascading parameter (title, texts). Null (the default) uses McpSseAuth's own
    /// plain layout. Set in code: <c>o.Pages.Layout = typeof(MyLayout)</c>.
    /// </summary>
    public Type? Layout { get; set; }

    /// <summary>The words of the pages, each replaceable (another language, your product's wording).</summary>
    public McpOAuthPageTexts Texts { get; } = new();
}
