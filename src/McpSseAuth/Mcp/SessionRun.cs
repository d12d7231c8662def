using McpSseAuth.Http;
using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// A request of a Streamable HTTP session runs until its session ends: the session's own streams (the standalone GET, a POST
/// answered as a stream) close with it, where ending the session's run alone would leave them open. A POST counts as
/// handled meanwhile (the session is not idle), and a body that outgrows the limit while the SDK reads it gets 413. One
/// frame for all of it: this is every session request's path.
/// </summary>
internal static class SessionRun
{
    public static async Task UntilEndedAsync(HttpContext context, RequestDelegate next, SessionEntry entry, MessageSizeGuard size, CancellationToken sessionEnd)
    {
        var requestAborted = context.RequestAborted;
        var post = HttpMethods.IsPost(context.Request.Method);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, sessionEnd);
        context.RequestAborted = either.Token;
        if (post)
        {
            entry.Handling();
        }

        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (sessionEnd.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            // Ended under the request: said so if nothing was sent yet; otherwise the stream simply ends.
            if (!context.Response.HasStarted)
            {
                await JsonRpcErrors.RefuseAsync(context.Response, StatusCodes.Status404NotFound, McpErrorCode.InvalidRequest, "Session ended while the request was handled. Start a new session.", default, requestAborted);
            }
        }
        catch (BadHttpRequestException e) when (MessageSizeGuard.Outgrown(e, context))
        {
            context.RequestAborted = requestAborted;
            await size.RefuseAsync(context);
        }
        finally
        {
            context.RequestAborted = requestAborted;
            if (post)
            {
                entry.Handled();
            }
        }
    }
}
