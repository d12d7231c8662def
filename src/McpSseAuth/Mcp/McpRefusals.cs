using McpSseAuth.Sessions;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// A guard's refusal of an MCP request: logged (event 1604), counted (<c>mcpsseauth.sessions.refused</c> by reason), told to
/// <see cref="McpOAuthEvents.OnSessionRefused"/>, and answered as a JSON-RPC error.
/// </summary>
internal sealed class McpRefusals(SessionMetrics metrics, IOptions<McpOAuthOptions> options, ILogger<McpRefusals> logger)
{
    public async Task RefuseAsync(HttpContext context, int status, string reason, string message, McpErrorCode code = McpErrorCode.InvalidRequest, RequestId id = default)
    {
        Log.McpRequestRefused(logger, context.Request.Path.Value ?? "", reason, status);
        metrics.Refused(reason);
        Telemetry.OAuthActivities.Failed(reason);
        await options.Value.Events.SessionRefused(new McpSessionRefusedContext(context, reason, status));
        await JsonRpcErrors.RefuseAsync(context.Response, status, code, message, id, context.RequestAborted);
    }
}
