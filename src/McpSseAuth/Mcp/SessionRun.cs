using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// A request of a Streamable HTTP session runs until its session ends: the session's own streams (the standalone GET, a POST
/// answered as a stream) close with it, where ending the session's run alone would leave them open.
/// </summary>
internal static class SessionRun
{
    public static async Task UntilEndedAsync(HttpContext context, RequestDelegate next, CancellationToken sessionEnd)
    {
        var requestAborted = context.RequestAborted;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, sessionEnd);
        context.RequestAborted = either.Token;
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
        finally
        {
            context.RequestAborted = requestAborted;
        }
    }
}
