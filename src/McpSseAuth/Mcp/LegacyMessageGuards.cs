using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// The guards of legacy SSE's <c>POST /message?sessionId=</c> (the SDK reads the session from the query only, so a header
/// must not decide what is checked): the session must be live, here or on the instance holding its stream, and the
/// caller's; a call needs its scopes; and since the answers go out on the stream, each request counts until then.
/// </summary>
internal sealed class LegacyMessageGuards(
    McpSessionRegistry registry,
    SessionDirectory directory,
    SseRelay relay,
    LiveSessions sessions,
    SessionOwnerGuard owner,
    ScopeGuard scopes,
    InFlightGuard inFlight,
    McpRefusals refusals,
    MessageSizeGuard size)
{
    public async Task RunAsync(HttpContext context, McpCaller caller, RequestDelegate next)
    {
        try
        {
            await GuardAsync(context, caller, next);
        }
        catch (BadHttpRequestException e) when (MessageSizeGuard.Outgrown(e, context))
        {
            await size.RefuseAsync(context);
        }
    }

    private async Task GuardAsync(HttpContext context, McpCaller caller, RequestDelegate next)
    {
        if (await McpMessage.ReadOnceAsync(context) is not { } message)
        {
            await refusals.RefuseAsync(context, StatusCodes.Status400BadRequest, "malformed", "The body is not a JSON-RPC message.", ModelContextProtocol.McpErrorCode.ParseError);
            return;
        }

        var sessionId = context.Request.Query["sessionId"].ToString();
        if (sessionId.Length == 0)
        {
            await next(context);   // the SDK's 400
            return;
        }

        var entry = registry.Find(sessionId);
        if (entry is null)
        {
            if (registry.WasEnded(sessionId))
            {
                await sessions.RefuseEndedAsync(context);
                return;
            }

            // The SDK sends the SSE endpoint event before it runs the session, which is when the session is listed: a message
            // right after the event may come first. Waited for briefly; a session never listed is not let in. With several
            // instances the stream may be held by another one: the message is handed to it.
            SessionHolder? holder = null;
            (entry, holder) = directory.Enabled
                ? await directory.LocateAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted)
                : (await registry.WaitForAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted), null);
            if (holder is { Transport: McpSessionTransport.Sse })
            {
                if (await owner.AdmitsAsync(context, caller, holder.Subject, holder.ClientId) && await scopes.AdmitsAsync(context, legacySse: true))
                {
                    await relay.ForwardAsync(context, holder, sessionId, System.Text.Encoding.UTF8.GetBytes(message.Json.GetRawText()), caller.Scope);
                }

                return;
            }

            if (entry is null)
            {
                await refusals.RefuseAsync(context, StatusCodes.Status404NotFound, "unknown", "Session not found. Open a new SSE stream.");
                return;
            }
        }

        if (!await owner.AdmitsAsync(context, caller, entry.Info.Subject, entry.Info.ClientId))
        {
            return;
        }

        if (!sessions.TryTouch(entry, out _))
        {
            await sessions.RefuseEndedAsync(context);
            return;
        }

        if (!await scopes.AdmitsAsync(context, legacySse: true))
        {
            return;
        }

        await inFlight.RunAsync(context, entry, message, next);
    }
}
