using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Mcp;

/// <summary>Bodies are held to <see cref="McpOAuthSessionOptions.MaxMessageBytes"/>: a larger one is refused with 413, before or while it is read.</summary>
internal sealed class MessageSizeGuard(McpRefusals refusals, IOptions<McpOAuthOptions> options)
{
    /// <summary>False, answered, when the declared length is over the limit; otherwise the limit is set for the read.</summary>
    public async Task<bool> AdmitsAsync(HttpContext context)
    {
        var limit = options.Value.Sessions.MaxMessageBytes;
        if (context.Request.ContentLength > limit)
        {
            await RefuseAsync(context);
            return false;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        return true;
    }

    /// <summary>Runs <paramref name="next"/>; a body sent without Content-Length that outgrows the limit while read (here or by the SDK) gets 413.</summary>
    public async Task RunAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (Outgrown(e, context))
        {
            await RefuseAsync(context);
        }
    }

    /// <summary>
    /// Whether <paramref name="e"/> is a body outgrowing the limit while it was read, still answerable with 413
    /// (<see cref="RefuseAsync"/>); for the guards that catch it in their own frame rather than in <see cref="RunAsync"/>.
    /// </summary>
    public static bool Outgrown(BadHttpRequestException e, HttpContext context)
        => e.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted;

    public Task RefuseAsync(HttpContext context)
        => refusals.RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "too_large", $"The message is larger than {options.Value.Sessions.MaxMessageBytes} bytes.");
}
