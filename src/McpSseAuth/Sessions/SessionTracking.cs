using System.Text.Json;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace McpSseAuth.Sessions;

/// <summary>
/// Wraps the SDK's session run (its <c>RunSessionHandler</c>, once per stateful session) to register each session in
/// <see cref="McpSessionRegistry"/> and run it on a token the registry can cancel. Stateless requests (2026-07-28 clients)
/// have no session and pass through untracked.
/// </summary>
internal sealed class SessionTracking(McpSessionRegistry registry, Stores.IGrantRevocations revocations, IOptions<McpOAuthOptions> options) : IPostConfigureOptions<HttpServerTransportOptions>
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
            var events = options.Value.Events;
            try
            {
                await events.SessionStarted(new McpSessionEventContext(entry.Info));
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
                await events.SessionEnded(new McpSessionEventContext(entry.Info));
            }
        };
#pragma warning restore MCPEXP002
    }
}

/// <summary>
/// Runs before every request to an MCP endpoint, after authorization. A request that names a session (<c>Mcp-Session-Id</c>,
/// or <c>?sessionId=</c> on <c>POST /message</c>) must carry a token of the session's user and client (403 otherwise, and
/// nothing reaches the session); an ended session answers 404 so the client starts anew. New sessions are refused beyond
/// <see cref="McpOAuthOptions.MaxSessionsPerUser"/> (429) and <see cref="McpOAuthOptions.MaxSessions"/> (503); a legacy SSE
/// session takes at most <see cref="McpOAuthOptions.MaxSseRequestsInFlight"/> unanswered requests (429 with Retry-After);
/// bodies are held to <see cref="McpOAuthOptions.MaxMessageBytes"/> (413). Every refusal is a JSON-RPC error body.
/// </summary>
internal sealed class SessionBinding(McpSessionRegistry registry, SessionMetrics metrics, IOptions<McpOAuthOptions> options, ILogger<SessionBinding> logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next, bool legacySse)
    {
        var o = options.Value;
        if (context.Request.ContentLength > o.MaxMessageBytes)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "too_large", $"The message is larger than {o.MaxMessageBytes} bytes.");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = o.MaxMessageBytes;
        }

        var sessionId = context.Request.Headers["Mcp-Session-Id"].ToString();
        if (sessionId.Length == 0 && legacySse && HttpMethods.IsPost(context.Request.Method))
        {
            sessionId = context.Request.Query["sessionId"].ToString();
        }

        var subject = Identity.SignedInUser.From(context.User)?.Subject ?? "";
        if (sessionId.Length == 0)
        {
            // A new session: the legacy SSE stream (GET), or a Streamable initialize (POST without a session).
            var opensSession = legacySse ? HttpMethods.IsGet(context.Request.Method) : HttpMethods.IsPost(context.Request.Method);
            var perUser = registry.CountForUser(subject) >= o.MaxSessionsPerUser;
            if (opensSession && (perUser || registry.Count >= o.MaxSessions) && (legacySse || await IsInitializeAsync(context)))
            {
                await RefuseAsync(
                    context,
                    perUser ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable,
                    perUser ? "sessions_per_user" : "sessions",
                    perUser
                        ? $"You already have {o.MaxSessionsPerUser} open MCP sessions, the most allowed. Close one (or wait for one to end), then try again."
                        : "The server holds as many MCP sessions as it can. Try again later.");
                return;
            }

            await next(context);
            return;
        }

        var entry = registry.Find(sessionId);
        if (entry is null && registry.WasEnded(sessionId))
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "ended", "Session not found: it was ended. Start a new session.");
            return;
        }

        if (entry is null && legacySse)
        {
            // The SDK sends the SSE endpoint event before it runs the session, which is when the session is listed: a
            // message right after the event may come first. Wait for it briefly rather than let it in unchecked.
            entry = await registry.WaitForAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted);
        }

        if (entry is null)
        {
            await next(context);   // unknown to us: the SDK answers for its own sessions, or 400/404
            return;
        }

        var clientId = context.User.FindFirst("client_id")?.Value;
        if (!string.Equals(subject, entry.Info.Subject, StringComparison.Ordinal) || !string.Equals(clientId, entry.Info.ClientId, StringComparison.Ordinal))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "binding", "Forbidden: this session belongs to another user or another client.");
            return;
        }

        if (entry.End.IsCancellationRequested)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "ended", "Session not found: it was ended. Start a new session.");
            return;
        }

        CancellationToken sessionEnd;
        try
        {
            sessionEnd = entry.End.Token;
        }
        catch (ObjectDisposedException)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "ended", "Session not found: it was ended. Start a new session.");
            return;
        }

        registry.Touch(entry);

        if (!legacySse)
        {
            // The Streamable session's own streams (the standalone GET, a POST answered as a stream) end with the session;
            // ending the session's run alone leaves them open. (Legacy SSE has one stream, the run's.)
            await RunUntilEndedAsync(context, next, sessionEnd);
            return;
        }

        // Legacy SSE answers on the stream, so the POST returns at once: count requests until their answer goes out.
        if (legacySse && await IsRequestAsync(context))
        {
            if (!entry.TryStartRequest(o.MaxSseRequestsInFlight))
            {
                context.Response.Headers.RetryAfter = "1";
                await RefuseAsync(context, StatusCodes.Status429TooManyRequests, "in_flight", $"This session already has {o.MaxSseRequestsInFlight} requests waiting for an answer. Retry after one is answered.");
                return;
            }
        }

        await next(context);
    }

    private static async Task RunUntilEndedAsync(HttpContext context, RequestDelegate next, CancellationToken sessionEnd)
    {
        var requestAborted = context.RequestAborted;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, sessionEnd);
        context.RequestAborted = either.Token;
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (sessionEnd.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            // Ended under the request: the response ends here, cleanly.
        }
        finally
        {
            context.RequestAborted = requestAborted;
        }
    }

    private async Task RefuseAsync(HttpContext context, int status, string reason, string message)
    {
        Log.McpRequestRefused(logger, context.Request.Path.Value ?? "", reason, status);
        metrics.Refused(reason);
        await options.Value.Events.SessionRefused(new McpSessionRefusedContext(context, reason, status));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":" + System.Text.Json.JsonSerializer.Serialize(message, OAuthJsonContext.Default.String) + "},\"id\":null}",
            context.RequestAborted);
    }

    private static async Task<bool> IsInitializeAsync(HttpContext context)
        => await PeekAsync(context) is { } message && message.TryGetProperty("method", out var method) && method.ValueKind == JsonValueKind.String && method.GetString() == "initialize";

    private static async Task<bool> IsRequestAsync(HttpContext context)
        => await PeekAsync(context) is { } message && message.TryGetProperty("method", out _) && message.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number;

    /// <summary>Reads the JSON body and rewinds it for the SDK; null when it is not a JSON object.</summary>
    private static async Task<JsonElement?> PeekAsync(HttpContext context)
    {
        context.Request.EnableBuffering();
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;   // the SDK answers malformed messages itself
        }
        finally
        {
            context.Request.Body.Position = 0;
        }
    }
}
