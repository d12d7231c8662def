using McpSseAuth.Pages;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Http;

/// <summary>
/// The message pages every part writes: an OAuth error for a browser, a refusal, a confirmation. They go through
/// <see cref="PageWriter"/>, taken from the request's services as ASP.NET Core's own results do.
/// </summary>
internal static class HtmlPage
{
    /// <summary>
    /// An error page for a browser caller: what went wrong, and no redirect to an unverified address. A
    /// <paramref name="returnUri"/> is where the user may choose to take the error back to the application; null for none.
    /// </summary>
    public static Task WriteErrorAsync(HttpContext context, OAuthError error, string? returnUri = null)
    {
        Telemetry.EndpointStep.Refused(context, error.Error);
        return WriteMessageAsync(context, error.StatusCode == 401 ? 400 : error.StatusCode, texts =>
        {
            var lines = new List<MessageLine>
            {
                new(Sentences.Fill(texts.ErrorHelp, Sentences.Code(error.Error)), "muted"),
            };
            if (returnUri is not null && Uri.TryCreate(returnUri, UriKind.Absolute, out var target))
            {
                lines.Add(new(Sentences.ExternalLink(returnUri, Sentences.Format(texts.ReturnTo, target.Authority))));
            }

            return new MessageView(texts.ErrorTitle, error.Description, lines);
        });
    }

    /// <summary>A message page whose title and lines come from the configured texts.</summary>
    public static Task WriteMessageAsync(HttpContext context, int statusCode, Func<McpOAuthPageTexts, MessageView> build, string? formActionOrigin = null)
    {
        var pages = context.RequestServices.GetRequiredService<PageWriter>();
        var view = build(pages.Texts);
        return pages.WriteAsync<MessagePage>(context, statusCode, view.Title, view, formActionOrigin);
    }
}
