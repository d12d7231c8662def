using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// The guards every request to an MCP endpoint passes after authorization (the bearer token, its audience and its grant:
/// Validation/), before the SDK sees it, in this order: the <c>Origin</c> (<see cref="OriginGuard"/>, DNS rebinding
/// protection); the message size (<see cref="MessageSizeGuard"/>); the endpoint's
/// own access rules and scopes (<see cref="EndpointRequirementsGuard"/>); for a request
/// that opens a session, the scopes of a stateless call and the session caps (<see cref="SessionLimitGuard"/>); for one that
/// names a session, the session's existence (404 when ended, so the client starts anew), its owner
/// (<see cref="SessionOwnerGuard"/>), the scopes (<see cref="ScopeGuard"/>) and, for legacy SSE, the requests in flight
/// (<see cref="InFlightGuard"/>). Every refusal is a JSON-RPC error (<see cref="McpRefusals"/>). The named-session checks
/// are per transport: <see cref="StreamableGuards"/> and <see cref="LegacyMessageGuards"/>, on <see cref="LiveSessions"/>.
/// </summary>
internal sealed class McpRequestGuards(OriginGuard origin, MessageSizeGuard size, EndpointRequirementsGuard endpoint, SessionLimitGuard limits, StreamableGuards streamable, LegacyMessageGuards legacy)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next, bool legacySse)
    {
        // A span of the checks alone, while one is listened to: it ends where the SDK's handling begins.
        var activity = Telemetry.OAuthActivities.Start(Telemetry.OAuthActivities.McpGuards);
        return activity is null ? GuardAsync(context, next, legacySse) : TracedAsync(activity, context, next, legacySse);
    }

    private async Task TracedAsync(System.Diagnostics.Activity activity, HttpContext context, RequestDelegate next, bool legacySse)
    {
        using (activity)
        {
            activity.SetTag(Telemetry.TelemetryTags.Transport, legacySse ? "sse" : "streamable_http");
            var session = legacySse ? context.Request.Query["sessionId"].ToString() : context.Request.Headers["Mcp-Session-Id"].ToString();
            if (session.Length > 0)
            {
                activity.SetTag(Telemetry.TelemetryTags.SessionId, session);
            }

            await GuardAsync(context, admitted => { activity.Stop(); return next(admitted); }, legacySse);
        }
    }

    private Task GuardAsync(HttpContext context, RequestDelegate next, bool legacySse)
    {
        // Usually decided without waiting; then nothing of this method stays on the heap for a legacy SSE stream's whole life.
        var admitted = AdmitsAsync(context);
        return !admitted.IsCompletedSuccessfully ? GuardWhenAdmittedAsync(admitted, context, next, legacySse)
            : admitted.Result ? Guard(context, next, legacySse)
            : Task.CompletedTask;
    }

    private async Task<bool> AdmitsAsync(HttpContext context) => await origin.AdmitsAsync(context) && await size.AdmitsAsync(context) && await endpoint.AdmitsAsync(context);

    private async Task GuardWhenAdmittedAsync(Task<bool> admitted, HttpContext context, RequestDelegate next, bool legacySse)
    {
        if (await admitted)
        {
            await Guard(context, next, legacySse);
        }
    }

    private Task Guard(HttpContext context, RequestDelegate next, bool legacySse)
    {
        var caller = McpCaller.From(context.User);
        if (legacySse && HttpMethods.IsGet(context.Request.Method))
        {
            // GET /sse opens a stream that lasts as long as the client likes, and nothing here reads its body: straight to
            // the session's opening, so no frame of the checks below is held for the stream's whole life (thousands of them).
            return limits.RunAsync(context, caller, legacySse: true, next);
        }

        // Each answers 413 itself for a body that outgrows the limit while read (MessageSizeGuard.Outgrown).
        return legacySse ? legacy.RunAsync(context, caller, next) : streamable.RunAsync(context, caller, next);
    }
}
