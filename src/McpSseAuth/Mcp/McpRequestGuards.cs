using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// The guards every request to an MCP endpoint passes after authorization (the bearer token, its audience and its grant:
/// Validation/), before the SDK sees it, in this order: the message size (<see cref="MessageSizeGuard"/>); for a request
/// that opens a session, the scopes of a stateless call and the session caps (<see cref="SessionLimitGuard"/>); for one that
/// names a session, the session's existence (404 when ended, so the client starts anew), its owner
/// (<see cref="SessionOwnerGuard"/>), the scopes (<see cref="ScopeGuard"/>) and, for legacy SSE, the requests in flight
/// (<see cref="InFlightGuard"/>). Every refusal is a JSON-RPC error (<see cref="McpRefusals"/>).
/// </summary>
internal sealed class McpRequestGuards(
    McpSessionRegistry registry,
    SseDirectory directory,
    SseRelay relay,
    MessageSizeGuard size,
    SessionLimitGuard limits,
    SessionOwnerGuard owner,
    ScopeGuard scopes,
    InFlightGuard inFlight,
    McpRefusals refusals)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next, bool legacySse)
    {
        if (!await size.AdmitsAsync(context))
        {
            return;
        }

        var caller = McpCaller.From(context.User);
        if (legacySse && HttpMethods.IsGet(context.Request.Method))
        {
            // GET /sse opens a stream that lasts as long as the client likes, and nothing here reads its body: straight to
            // the session's opening, so no frame of the checks below is held for the stream's whole life (thousands of them).
            await limits.RunAsync(context, caller, legacySse: true, () => Task.FromResult<McpMessage?>(null), next);
            return;
        }

        await size.RunAsync(context, () => legacySse ? LegacyMessageAsync(context, caller, next) : StreamableAsync(context, caller, next));
    }

    /// <summary>Streamable HTTP: the session is named in <c>Mcp-Session-Id</c>, and only there.</summary>
    private async Task StreamableAsync(HttpContext context, McpCaller caller, RequestDelegate next)
    {
        // The body, read at most once: for the scopes of a call, and at a cap to tell an initialize.
        var message = new Lazy<Task<McpMessage?>>(() => McpMessage.PeekAsync(context));
        if (!context.Request.Headers.TryGetValue("Mcp-Session-Id", out var named))
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                // A POST without a session may be a stateless call of a tool (2026-07-28): its scopes apply.
                if (await scopes.AdmitsAsync(context, () => message.Value))
                {
                    await limits.RunAsync(context, caller, legacySse: false, () => message.Value, next);
                }

                return;
            }

            await next(context);   // a GET/DELETE without a session: the SDK's 400
            return;
        }

        var sessionId = named.ToString();
        var entry = sessionId.Length == 0 ? null : registry.Find(sessionId);
        if (entry is null)
        {
            // Unknown here: the SDK answers for its own sessions (404), unless this instance ended it.
            await (sessionId.Length > 0 && registry.WasEnded(sessionId) ? RefuseEndedAsync(context) : next(context));
            return;
        }

        if (!await owner.AdmitsAsync(context, caller, entry.Info.Subject, entry.Info.ClientId)
            || await SessionEndAsync(context, entry) is not { } sessionEnd
            || !await scopes.AdmitsAsync(context, () => message.Value))
        {
            return;
        }

        // A POST being handled keeps the session from counting as idle.
        using var handling = HttpMethods.IsPost(context.Request.Method) ? entry.Handling() : null;
        await SessionRun.UntilEndedAsync(context, next, sessionEnd);
    }

    /// <summary>
    /// Legacy SSE's <c>POST /message?sessionId=</c> (the SDK reads the session from the query only, so a header must not
    /// decide what is checked). Its answers go out on the stream, so each request is counted until then.
    /// </summary>
    private async Task LegacyMessageAsync(HttpContext context, McpCaller caller, RequestDelegate next)
    {
        if (await McpMessage.PeekAsync(context) is not { } message)
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
                await RefuseEndedAsync(context);
                return;
            }

            // The SDK sends the SSE endpoint event before it runs the session, which is when the session is listed: a message
            // right after the event may come first. Waited for briefly; a session never listed is not let in. With several
            // instances the stream may be held by another one: the message is handed to it.
            SseHolder? holder = null;
            (entry, holder) = directory.Enabled
                ? await directory.LocateAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted)
                : (await registry.WaitForAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted), null);
            if (holder is not null)
            {
                if (await owner.AdmitsAsync(context, caller, holder.Subject, holder.ClientId) && await scopes.AdmitsAsync(context, () => Task.FromResult<McpMessage?>(message)))
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

        if (!await owner.AdmitsAsync(context, caller, entry.Info.Subject, entry.Info.ClientId)
            || await SessionEndAsync(context, entry) is null
            || !await scopes.AdmitsAsync(context, () => Task.FromResult<McpMessage?>(message)))
        {
            return;
        }

        await inFlight.RunAsync(context, entry, message, next);
    }

    /// <summary>The session's end, touched as used; null, answered 404, when it has ended.</summary>
    private async Task<CancellationToken?> SessionEndAsync(HttpContext context, SessionEntry entry)
    {
        CancellationToken sessionEnd;
        try
        {
            sessionEnd = entry.End.Token;
        }
        catch (ObjectDisposedException)
        {
            sessionEnd = new CancellationToken(canceled: true);
        }

        if (sessionEnd.IsCancellationRequested)
        {
            await RefuseEndedAsync(context);
            return null;
        }

        registry.Touch(entry);
        return sessionEnd;
    }

    private Task RefuseEndedAsync(HttpContext context)
        => refusals.RefuseAsync(context, StatusCodes.Status404NotFound, "ended", "Session not found: it was ended. Start a new session.");
}
