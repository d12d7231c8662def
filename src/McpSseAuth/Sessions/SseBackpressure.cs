using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Sessions;

/// <summary>
/// Frees a legacy SSE session's request slot (<see cref="SessionBinding"/> takes it at <c>POST /message</c>) when the
/// server sends that request's answer, through the SDK's outgoing message filter.
/// </summary>
internal sealed class SseBackpressure(McpSessionRegistry registry) : IPostConfigureOptions<McpServerOptions>
{
    public void PostConfigure(string? name, McpServerOptions options)
    {
        options.Filters.Message.OutgoingFilters.Add(next => async (context, cancellationToken) =>
        {
            try
            {
                await next(context, cancellationToken);
            }
            finally
            {
                if (context.JsonRpcMessage is JsonRpcResponse or JsonRpcError &&
                    context.Server.SessionId is { } sessionId &&
                    registry.Find(sessionId) is { Info.Transport: McpSessionTransport.Sse } entry)
                {
                    entry.EndRequest();
                }
            }
        });
    }
}
