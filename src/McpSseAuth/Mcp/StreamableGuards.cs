using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// The guards of a Streamable HTTP request, whose session is named in <c>Mcp-Session-Id</c> and only there: without one,
/// a POST is a stateless call (its scopes) or opens a session (the caps); with one, the session must be live and the
/// caller's, and a call needs its scopes. A session's request is usually decided without waiting (the scope peek finds the
/// body already received); then no frame of this class is made, only the session run's.
/// </summary>
internal sealed class StreamableGuards(
    McpSessionRegistry registry,
    SessionDirectory directory,
    StreamableRelay relay,
    LiveSessions sessions,
    SessionLimitGuard limits,
    SessionOwnerGuard owner,
    ScopeGuard scopes,
    MessageSizeGuard size)
{
    public Task RunAsync(HttpContext context, McpCaller caller, RequestDelegate next)
    {
        if (!context.Request.Headers.TryGetValue("Mcp-Session-Id", out var named))
        {
            return WithoutSessionAsync(context, caller, next);
        }

        var sessionId = named.ToString();
        var entry = sessionId.Length == 0 ? null : registry.Find(sessionId);
        if (entry is null)
        {
            // Unknown here: the SDK answers for its own sessions (404), unless this instance ended it, or another holds it.
            return sessionId.Length == 0 ? size.RunAsync(context, next)
                : registry.WasEnded(sessionId) ? sessions.RefuseEndedAsync(context)
                : directory.Enabled ? ElsewhereAsync(context, caller, sessionId, next)
                : size.RunAsync(context, next);
        }

        if (!caller.Owns(entry.Info.Subject, entry.Info.ClientId))
        {
            return owner.RefuseAsync(context);
        }

        if (!sessions.TryTouch(entry, out var sessionEnd))
        {
            return sessions.RefuseEndedAsync(context);
        }

        var admitted = scopes.AdmitsAsync(context);
        return !admitted.IsCompletedSuccessfully ? RunWhenAdmittedAsync(admitted, context, next, entry, sessionEnd)
            : admitted.Result ? SessionRun.UntilEndedAsync(context, next, entry, size, sessionEnd)
            : Task.CompletedTask;
    }

    private async Task RunWhenAdmittedAsync(Task<bool> admitted, HttpContext context, RequestDelegate next, SessionEntry entry, CancellationToken sessionEnd)
    {
        try
        {
            if (!await admitted)
            {
                return;
            }
        }
        catch (BadHttpRequestException e) when (MessageSizeGuard.Outgrown(e, context))
        {
            await size.RefuseAsync(context);
            return;
        }

        await SessionRun.UntilEndedAsync(context, next, entry, size, sessionEnd);
    }

    /// <summary>
    /// A session this instance does not hold: here after all once the SDK listed it (a request right after
    /// <c>initialize</c> may come first), on another instance — the caller's, checked here, then relayed — or nowhere (the
    /// SDK's 404).
    /// </summary>
    private async Task ElsewhereAsync(HttpContext context, McpCaller caller, string sessionId, RequestDelegate next)
    {
        var (local, holder) = await directory.LocateAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted);
        if (local is not null)
        {
            await RunAsync(context, caller, next);
            return;
        }

        if (holder is not { Transport: McpSessionTransport.StreamableHttp })
        {
            await size.RunAsync(context, next);
            return;
        }

        if (!caller.Owns(holder.Subject, holder.ClientId))
        {
            await owner.RefuseAsync(context);
            return;
        }

        try
        {
            if (!await scopes.AdmitsAsync(context))
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            await relay.ForwardAsync(context, holder, sessionId, body.ToArray(), caller.Scope);
        }
        catch (BadHttpRequestException e) when (MessageSizeGuard.Outgrown(e, context))
        {
            await size.RefuseAsync(context);
        }
    }

    private async Task WithoutSessionAsync(HttpContext context, McpCaller caller, RequestDelegate next)
    {
        try
        {
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                await next(context);   // a GET/DELETE without a session: the SDK's 400
                return;
            }

            // A POST without a session may be a stateless call of a tool (2026-07-28): its scopes apply.
            if (await scopes.AdmitsAsync(context))
            {
                await limits.RunAsync(context, caller, legacySse: false, next);
            }
        }
        catch (BadHttpRequestException e) when (MessageSizeGuard.Outgrown(e, context))
        {
            await size.RefuseAsync(context);
        }
    }
}
