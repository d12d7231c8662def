namespace McpSseAuth;

/// <summary>
/// The page being rendered, as a layout sees it: declare <c>[CascadingParameter] public McpOAuthPage Page { get; set; }</c>
/// in a layout set as <see cref="McpOAuthPageOptions.Layout"/>.
/// </summary>
public sealed class McpOAuthPage
{
    internal McpOAuthPage(string title, int statusCode, McpOAuthPageTexts texts)
    {
        Title = title;
        StatusCode = statusCode;
        Texts = texts;
    }

    /// <summary>The page's title, for <c>&lt;title&gt;</c> and the heading.</summary>
    public string Title { get; }

    /// <summary>The HTTP status the page is sent with: 200, or an error's status.</summary>
    public int StatusCode { get; }

    /// <summary>The words of the pages, as configured.</summary>
    public McpOAuthPageTexts Texts { get; }
}
