using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// The guards of a Streamable HTTP request, whose session is named in <c>Mcp-Session-Id</c> and only there: without one,
/// a POST is a stateless call (its scopes) or opens a session (the caps); with one, the session must be live and the
/// caller's, and a call needs its scopes.
/// </summary>
internal sealed class StreamableGuards(McpSessionRegistry registry, LiveSessions sessions, SessionLimitGuard limits, SessionOwnerGuard owner, ScopeGuard scopes)
{
    public async Task RunAsync(HttpContext context, McpCaller caller, RequestDelegate next)
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
            await (sessionId.Length > 0 && registry.WasEnded(sessionId) ? sessions.RefuseEndedAsync(context) : next(context));
            return;
        }

        if (!await owner.AdmitsAsync(context, caller, entry.Info.Subject, entry.Info.ClientId)
            || await sessions.EndOfAsync(context, entry) is not { } sessionEnd
            || !await scopes.AdmitsAsync(context, () => message.Value))
        {
            return;
        }

        // A POST being handled keeps the session from counting as idle.
        using var handling = HttpMethods.IsPost(context.Request.Method) ? entry.Handling() : null;
        await SessionRun.UntilEndedAsync(context, next, sessionEnd);
    }
}
