using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Sessions;

/// <summary>
/// Frees a legacy SSE session's request slot (Mcp/InFlightGuard takes it at <c>POST /message</c>, by JSON-RPC id)
/// when the server sends that request's answer, through the SDK's outgoing message filter.
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
                // Only legacy SSE sessions hold request slots: the answer's id is made a string for those alone.
                if (context.JsonRpcMessage is JsonRpcResponse or JsonRpcError &&
                    context.Server.SessionId is { } sessionId &&
                    registry.Find(sessionId) is { Info.Transport: McpSessionTransport.Sse } entry)
                {
                    entry.Answered(context.JsonRpcMessage is JsonRpcResponse response ? response.Id.ToString() : ((JsonRpcError)context.JsonRpcMessage).Id.ToString());
                }
            }
        });
    }
}
