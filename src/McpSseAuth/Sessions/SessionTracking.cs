using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace McpSseAuth.Sessions;

/// <summary>
/// Wraps the SDK's session run (its <c>RunSessionHandler</c>, once per stateful session) to register each session in
/// <see cref="McpSessionRegistry"/> and run it on a token the registry can cancel. Stateless requests (2026-07-28 clients)
/// have no session and pass through untracked.
/// </summary>
internal sealed class SessionTracking(McpSessionRegistry registry, Stores.IGrantRevocations revocations) : IPostConfigureOptions<HttpServerTransportOptions>
{
    public void PostConfigure(string? name, HttpServerTransportOptions transport)
    {
#pragma warning disable MCPEXP002 // The SDK's only hook around a session's whole life; contained here.
        var previous = transport.RunSessionHandler;
        transport.RunSessionHandler = async (context, server, sessionEnded) =>
        {
            if (server.SessionId is not { } sessionId)
            {
                await (previous?.Invoke(context, server, sessionEnded) ?? server.RunAsync(sessionEnded));
                return;
            }

            // The SSE stream is the GET; a Streamable session starts with the POST of initialize.
            var kind = HttpMethods.IsGet(context.Request.Method) ? McpSessionTransport.Sse : McpSessionTransport.StreamableHttp;
            var entry = registry.Add(sessionId, kind, context.User, sessionEnded);
            try
            {
                // A revocation between the token check and the line above found nothing to end: look once more now that
                // the session is listed (the revocation is recorded before it is signalled).
                if (entry.Info.GrantId is { } grantId && await revocations.IsRevokedAsync(grantId, sessionEnded))
                {
                    registry.EndRevoked(entry);
                }

                await (previous?.Invoke(context, server, entry.End.Token) ?? server.RunAsync(entry.End.Token));
            }
            catch (OperationCanceledException) when (entry.End.IsCancellationRequested && !sessionEnded.IsCancellationRequested)
            {
                // Ended by the registry (a revoked grant, IMcpSessions.End): a normal end, not an error.
            }
            finally
            {
                registry.Remove(entry);
            }
        };
#pragma warning restore MCPEXP002
    }
}

/// <summary>
/// Runs before every request to an MCP endpoint that names a session (<c>Mcp-Session-Id</c>, or <c>?sessionId=</c> on
/// <c>POST /message</c>): the session is usable only with a token of the same user and the same client (403 otherwise,
/// and nothing reaches the session); an ended session answers 404 so the client starts a new one.
/// </summary>
internal sealed class SessionBinding(McpSessionRegistry registry)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var sessionId = context.Request.Headers["Mcp-Session-Id"].ToString();
        if (sessionId.Length == 0 && HttpMethods.IsPost(context.Request.Method))
        {
            sessionId = context.Request.Query["sessionId"].ToString();
        }

        if (sessionId.Length == 0)
        {
            return next(context);
        }

        if (registry.Find(sessionId) is not { } entry)
        {
            return registry.WasEnded(sessionId)
                ? JsonRpcErrorAsync(context, StatusCodes.Status404NotFound, "Session not found: it was ended. Start a new session.")
                : next(context);
        }

        var user = context.User;
        var subject = Identity.SignedInUser.From(user)?.Subject;
        var clientId = user.FindFirst("client_id")?.Value;
        if (!string.Equals(subject, entry.Info.Subject, StringComparison.Ordinal) || !string.Equals(clientId, entry.Info.ClientId, StringComparison.Ordinal))
        {
            return JsonRpcErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: this session belongs to another user or another client.");
        }

        if (entry.End.IsCancellationRequested)
        {
            return JsonRpcErrorAsync(context, StatusCodes.Status404NotFound, "Session not found: it was ended. Start a new session.");
        }

        return next(context);
    }

    private static Task JsonRpcErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(
            "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":" + System.Text.Json.JsonSerializer.Serialize(message, OAuthJsonContext.Default.String) + "},\"id\":null}",
            context.RequestAborted);
    }
}
