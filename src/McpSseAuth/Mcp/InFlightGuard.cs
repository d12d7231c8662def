using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Mcp;

/// <summary>
/// <c>POST /message</c> of legacy SSE, whose answers go out on the stream: a request takes one of the session's
/// <see cref="McpOAuthSessionOptions.MaxSseRequestsInFlight"/> slots until its answer goes out (<see cref="SseBackpressure"/>), it
/// is cancelled, or the SDK refuses it; beyond them 429 with Retry-After.
/// </summary>
internal sealed class InFlightGuard(McpRefusals refusals, IOptions<McpOAuthOptions> options)
{
    public async Task RunAsync(HttpContext context, SessionEntry entry, McpMessage message, RequestDelegate next)
    {
        var limit = options.Value.Sessions.MaxSseRequestsInFlight;
        var requestId = message.RequestId?.ToString();
        var awaiting = requestId is null ? AwaitResult.Accepted : entry.TryAwaitAnswer(requestId, limit);
        if (awaiting == AwaitResult.Duplicate)
        {
            // JSON-RPC ids are unique in a session (MCP base protocol): the same id still waiting is the same request sent
            // again (a relay that timed out, a client's retry). Accepted, not run twice: its one answer comes on the stream.
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        if (awaiting == AwaitResult.Full)
        {
            context.Response.Headers.RetryAfter = "1";
            await refusals.RefuseAsync(context, StatusCodes.Status429TooManyRequests, "in_flight", $"This session already has {limit} requests waiting for an answer. Retry after one is answered.");
            return;
        }

        // A cancelled request gets no answer (MCP cancellation): its slot is free now.
        if (message.Cancels is { } cancelled)
        {
            entry.Answered(cancelled.ToString());
        }

        var accepted = false;
        try
        {
            await next(context);
            accepted = context.Response.StatusCode is >= 200 and < 300;
        }
        finally
        {
            if (!accepted && requestId is not null)
            {
                entry.Answered(requestId);   // refused by the SDK: no answer will come on the stream
            }
        }
    }
}
