using McpSseAuth.Pages;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Http;

/// <summary>
/// First in the app's pipeline: a request that needed the storage while it was unreachable gets 503 with
/// <c>Retry-After</c> — the RFC 6749 <c>temporarily_unavailable</c> error as JSON, or a readable page for a browser —
/// instead of a 500. Nothing else was written for it (stores write nothing they cannot finish); the next request after the
/// storage is back is served as usual.
/// </summary>
/// <remarks>
/// An exception handler inside the pipeline sees the exception first: the developer exception page (on by itself in
/// Development) asks <see cref="StorageFaultPageFilter"/>, and <c>UseExceptionHandler</c> asks
/// <see cref="StorageFaultHandler"/>, which answer the same 503.
/// </remarks>
internal sealed class StorageFaults(ILogger<StorageFaults> logger) : IStartupFilter
{
    public const string RetryAfterSeconds = "5";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, inner) =>
        {
            try
            {
                await inner(context);
            }
            catch (Exception e) when (Find(e) is { } fault && !context.RequestAborted.IsCancellationRequested)
            {
                await AnswerAsync(context, fault, logger);
            }
        });
        next(app);
    };

    /// <summary>
    /// The storage fault behind <paramref name="exception"/>: itself, or one it wraps (Data Protection, for one, wraps a key
    /// repository's failure in a <see cref="System.Security.Cryptography.CryptographicException"/>).
    /// </summary>
    public static McpStorageUnavailableException? Find(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 8; depth++, exception = exception.InnerException)
        {
            if (exception is McpStorageUnavailableException fault)
            {
                return fault;
            }
        }

        return null;
    }

    /// <summary>Answers 503 for <paramref name="exception"/> unless the response is under way (a stream then just ends).</summary>
    public static async Task AnswerAsync(HttpContext context, McpStorageUnavailableException exception, ILogger logger)
    {
        Log.StorageUnavailable(logger, context.Request.Path.Value ?? "", exception);
        if (context.Response.HasStarted)
        {
            return;   // a stream already under way just ends
        }

        context.Response.Clear();
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        var error = OAuthError.TemporarilyUnavailable("The server's storage is unreachable for the moment. Try again in a few seconds.");
        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            await HtmlPage.WriteMessageAsync(context, error.StatusCode, texts => new MessageView(texts.UnavailableTitle, error.Description, []));
            return;
        }

        await error.WriteAsync(context);
    }
}
