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
                var answered = context.JsonRpcMessage switch
                {
                    JsonRpcResponse response => response.Id.ToString(),
                    JsonRpcError error => error.Id.ToString(),
                    _ => null,
                };
                if (answered is not null &&
                    context.Server.SessionId is { } sessionId &&
                    registry.Find(sessionId) is { Info.Transport: McpSessionTransport.Sse } entry)
                {
                    entry.Answered(answered);
                }
            }
        });
    }
}
