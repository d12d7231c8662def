using System.Text.Json;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Sessions;

/// <summary>
/// Runs before every request to an MCP endpoint, after authorization. A request that names a session (<c>Mcp-Session-Id</c>,
/// or <c>?sessionId=</c> on <c>POST /message</c>) must carry a token of the session's user and client (403 otherwise, and
/// nothing reaches the session); an ended session answers 404 so the client starts anew. New sessions are refused beyond
/// <see cref="McpOAuthOptions.MaxSessionsPerUser"/> (429) and <see cref="McpOAuthOptions.MaxSessions"/> (503); a legacy SSE
/// session takes at most <see cref="McpOAuthOptions.MaxSseRequestsInFlight"/> unanswered requests (429 with Retry-After);
/// bodies are held to <see cref="McpOAuthOptions.MaxMessageBytes"/> (413). Every refusal is a JSON-RPC error body.
/// </summary>
internal sealed class SessionBinding(
    McpSessionRegistry registry,
    SessionMetrics metrics,
    Scopes.ScopeRequirements scopes,
    Resources.ServerUris uris,
    Resources.ProtectedResources resources,
    SseRelay relay,
    IOptions<McpOAuthOptions> options,
    ILogger<SessionBinding> logger)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next, bool legacySse)
    {
        var o = options.Value;
        if (context.Request.ContentLength > o.MaxMessageBytes)
        {
            return RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "too_large", $"The message is larger than {o.MaxMessageBytes} bytes.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = o.MaxMessageBytes;
        }

        // GET /sse opens a stream that lasts as long as the client likes; nothing here reads its body. Straight to the
        // session's opening: the frames of this method and of BindAsync are not held for the stream's whole life, which
        // counts at thousands of open streams.
        return legacySse && HttpMethods.IsGet(context.Request.Method)
            ? OpenAsync(context, next, legacySse: true, Users.SignedInUser.From(context.User)?.Subject ?? "", o)
            : InvokeWithBodyAsync(context, next, legacySse, o);
    }

    private async Task InvokeWithBodyAsync(HttpContext context, RequestDelegate next, bool legacySse, McpOAuthOptions o)
    {
        try
        {
            await BindAsync(context, next, legacySse, o);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            // A body sent without Content-Length that outgrew the limit while being read (here or by the SDK).
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "too_large", $"The message is larger than {o.MaxMessageBytes} bytes.");
        }
    }

    private async Task BindAsync(HttpContext context, RequestDelegate next, bool legacySse, McpOAuthOptions o)
    {
        // Where each transport names its session, and nowhere else: the SDK reads legacy SSE's from the query only, so a
        // header there must not decide what is checked. A GET /sse always opens a new session.
        var opensSession = legacySse
            ? HttpMethods.IsGet(context.Request.Method)
            : HttpMethods.IsPost(context.Request.Method) && !context.Request.Headers.ContainsKey("Mcp-Session-Id");
        var sessionId = legacySse
            ? (opensSession ? "" : context.Request.Query["sessionId"].ToString())
            : context.Request.Headers["Mcp-Session-Id"].ToString();

        // Legacy SSE messages are read here: their answers go out on the stream, so each request is counted until then.
        JsonElement message = default;
        if (legacySse && !opensSession)
        {
            if (await PeekAsync(context) is not { } peeked || !IsJsonRpcMessage(peeked))
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "malformed", "The body is not a JSON-RPC message.", -32700);
                return;
            }

            message = peeked;
        }

        var subject = Users.SignedInUser.From(context.User)?.Subject ?? "";
        if (opensSession)
        {
            await OpenAsync(context, next, legacySse, subject, o);
            return;
        }

        if (sessionId.Length == 0)
        {
            // A GET/DELETE without a session, which the SDK refuses; legacy without one: the SDK's 400.
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
            // message right after the event may come first. Wait for it briefly; a session never listed is not let in.
            // With several instances, the stream may be held by another one: the message is handed to it.
            SseRelay.Holder? holder = null;
            if (relay.Enabled)
            {
                (entry, holder) = await relay.LocateAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted);
            }
            else
            {
                entry = await registry.WaitForAsync(sessionId, TimeSpan.FromSeconds(2), context.RequestAborted);
            }

            if (holder is not null)
            {
                await ForwardAsync(context, holder, sessionId, subject, message);
                return;
            }

            if (entry is null)
            {
                await RefuseAsync(context, StatusCodes.Status404NotFound, "unknown", "Session not found. Open a new SSE stream.");
                return;
            }
        }

        if (entry is null)
        {
            await next(context);   // unknown to us: the SDK answers for its own sessions (404)
            return;
        }

        if (!await IsCallersAsync(context, subject, entry.Info.Subject, entry.Info.ClientId))
        {
            return;
        }

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
            await RefuseAsync(context, StatusCodes.Status404NotFound, "ended", "Session not found: it was ended. Start a new session.");
            return;
        }

        registry.Touch(entry);

        if (!legacySse)
        {
            // The Streamable session's own streams (the standalone GET, a POST answered as a stream) end with the session;
            // ending the session's run alone leaves them open. (Legacy SSE has one stream, the run's.) A POST being
            // handled keeps the session from counting as idle.
            if (!await HasScopesAsync(context, () => PeekAsync(context)))
            {
                return;
            }

            using var handling = HttpMethods.IsPost(context.Request.Method) ? entry.Handling() : null;
            await RunUntilEndedAsync(context, next, sessionEnd);
            return;
        }

        if (!await HasScopesAsync(context, () => Task.FromResult<JsonElement?>(message)))
        {
            return;
        }

        await SendLegacyMessageAsync(context, next, entry, message, o);
    }

    /// <summary>True when the session was opened by the caller's user through the caller's client; otherwise 403, answered.</summary>
    private async Task<bool> IsCallersAsync(HttpContext context, string subject, string ownerSubject, string ownerClientId)
    {
        var clientId = context.User.FindFirst("client_id")?.Value;
        if (string.Equals(subject, ownerSubject, StringComparison.Ordinal) && string.Equals(clientId, ownerClientId, StringComparison.Ordinal))
        {
            return true;
        }

        await RefuseAsync(context, StatusCodes.Status403Forbidden, "binding", "Forbidden: this session belongs to another user or another client.");
        return false;
    }

    /// <summary>A message for a session whose stream another instance holds: checked here against the listed user and client, then handed over.</summary>
    private async Task ForwardAsync(HttpContext context, SseRelay.Holder holder, string sessionId, string subject, JsonElement message)
    {
        if (!await IsCallersAsync(context, subject, holder.Subject, holder.ClientId))
        {
            return;
        }

        if (!await HasScopesAsync(context, () => Task.FromResult<JsonElement?>(message)))
        {
            return;
        }

        await relay.ForwardAsync(context, holder, sessionId, System.Text.Encoding.UTF8.GetBytes(message.GetRawText()), context.User.FindFirst("scope")?.Value);
    }

    /// <summary>
    /// A call of a tool, prompt or resource whose scopes the token lacks gets 403 with an RFC 6750 §3.1
    /// <c>insufficient_scope</c> challenge naming every scope needed (the token's and the missing ones), so the client
    /// authorizes again with them (step-up). The body is read only when something requires a scope.
    /// </summary>
    private async Task<bool> HasScopesAsync(HttpContext context, Func<Task<JsonElement?>> readBody)
    {
        if (!scopes.Any || !HttpMethods.IsPost(context.Request.Method))
        {
            return true;
        }

        if (await readBody() is not { } body
            || !body.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String
            || !body.TryGetProperty("params", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
        {
            return true;   // not a call of a primitive; the SDK answers malformed messages itself
        }

        var name = method.GetString()!;
        var target = parameters.TryGetProperty(name == Scopes.ScopeRequirements.ReadResource ? "uri" : "name", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var missing = Scopes.ScopeRequirements.Missing(context.User, scopes.For(name, target));
        if (missing.Length == 0)
        {
            return true;
        }

        var held = (context.User.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => s != McpOAuthDefaults.OfflineAccessScope);
        var needed = string.Join(' ', held.Concat(missing).Distinct(StringComparer.Ordinal));
        context.Response.Headers.WWWAuthenticate =
            $"Bearer error=\"insufficient_scope\", scope=\"{needed}\", resource_metadata=\"{Resources.ProtectedResourceMetadataPath.UriFor(context, uris, resources)}\", error_description=\"This request needs more scopes: authorize again with them\"";
        context.Response.Headers.CacheControl = "no-store";
        var id = body.TryGetProperty("id", out var requestId) && requestId.ValueKind is JsonValueKind.String or JsonValueKind.Number ? requestId.GetRawText() : "null";
        await RefuseAsync(context, StatusCodes.Status403Forbidden, "insufficient_scope", $"Insufficient scope: this needs {string.Join(' ', missing)}.", id: id);
        return false;
    }

    /// <summary>A request that opens a session takes its place under the caps first, atomically, so concurrent opens cannot overshoot.</summary>
    private async Task OpenAsync(HttpContext context, RequestDelegate next, bool legacySse, string subject, McpOAuthOptions o)
    {
        // The body, read at most once: for the scopes of a stateless call, and at a cap to tell an initialize.
        JsonElement? body = null;
        var read = false;
        async Task<JsonElement?> BodyAsync()
        {
            if (!read)
            {
                body = await PeekAsync(context);
                read = true;
            }

            return body;
        }

        // A Streamable POST without a session may be a stateless call of a tool (2026-07-28): its scopes apply.
        if (!legacySse && !await HasScopesAsync(context, BodyAsync))
        {
            return;
        }

        var reservation = registry.TryReserve(subject, o.MaxSessionsPerUser, o.MaxSessions, out var perUser);
        if (reservation is null && perUser && context.User.FindFirst("client_id")?.Value is { } clientId && registry.TryMakeRoomFor(subject, clientId))
        {
            reservation = registry.TryReserve(subject, o.MaxSessionsPerUser, o.MaxSessions, out perUser);
        }

        if (reservation is null)
        {
            // At a cap. A Streamable POST without a session may be a stateless request (2026-07-28), which opens nothing:
            // only an initialize is refused. The body is read only here, at the cap.
            if (legacySse || IsInitialize(await BodyAsync()))
            {
                // No one knows when a session ends; the idle sweep is the soonest a place can be freed without one.
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(registry.SweepPeriod.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
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

        if (legacySse)
        {
            // The stream stays open as long as the client likes, and its request with it: it need not hold the access token,
            // which was checked and is not passed on (the session keeps the user; each message brings its own token).
            context.Request.Headers.Authorization = default;
        }

        // The session run (SessionTracking) takes the place over if a session starts; otherwise it is given back.
        context.Items[McpSessionRegistry.ReservationKey] = reservation;
        try
        {
            await next(context);
        }
        finally
        {
            context.Items.Remove(McpSessionRegistry.ReservationKey);
            registry.Release(reservation);
        }
    }

    /// <summary>
    /// <c>POST /message</c>: a request takes one of the session's <see cref="McpOAuthOptions.MaxSseRequestsInFlight"/> slots
    /// until its answer goes out (<see cref="SseBackpressure"/>), it is cancelled, or the SDK refuses it.
    /// </summary>
    private async Task SendLegacyMessageAsync(HttpContext context, RequestDelegate next, McpSessionRegistry.Entry entry, JsonElement message, McpOAuthOptions o)
    {
        var requestId = message.TryGetProperty("method", out _) && message.TryGetProperty("id", out var id) ? RequestId(id) : null;
        var awaiting = requestId is null ? McpSessionRegistry.AwaitResult.Accepted : entry.TryAwaitAnswer(requestId, o.MaxSseRequestsInFlight);
        if (awaiting == McpSessionRegistry.AwaitResult.Duplicate)
        {
            // JSON-RPC ids are unique in a session (MCP base protocol): the same id still waiting is the same request sent
            // again (a relay that timed out, a client's retry). Accepted, not run twice: its one answer comes on the stream.
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        if (awaiting == McpSessionRegistry.AwaitResult.Full)
        {
            context.Response.Headers.RetryAfter = "1";
            await RefuseAsync(context, StatusCodes.Status429TooManyRequests, "in_flight", $"This session already has {o.MaxSseRequestsInFlight} requests waiting for an answer. Retry after one is answered.");
            return;
        }

        // A cancelled request gets no answer (MCP cancellation): its slot is free now.
        if (message.TryGetProperty("method", out var method) && method.ValueEquals("notifications/cancelled")
            && message.TryGetProperty("params", out var parameters) && parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("requestId", out var cancelled) && RequestId(cancelled) is { } cancelledId)
        {
            entry.Answered(cancelledId);
        }

        var accepted = false;
        try
        {
            await next(context);
            accepted = context.Response.StatusCode is >= 200 and < 300;
        }
        finally
        {
            if (!accepted && requestId is not null)
            {
                entry.Answered(requestId);   // refused by the SDK: no answer will come on the stream
            }
        }
    }

    /// <summary>A JSON-RPC id as the SDK prints it (<c>RequestId.ToString()</c>): the string, or the integer.</summary>
    private static string? RequestId(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String => id.GetString(),
        JsonValueKind.Number when id.TryGetInt64(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>One JSON-RPC message: a request or notification (string method), or a response (id with result or error).</summary>
    private static bool IsJsonRpcMessage(JsonElement message)
    {
        if (message.TryGetProperty("method", out var method))
        {
            return method.ValueKind == JsonValueKind.String
                && (!message.TryGetProperty("id", out var id) || RequestId(id) is not null);
        }

        return message.TryGetProperty("id", out var answeredId) && RequestId(answeredId) is not null
            && (message.TryGetProperty("result", out _) || message.TryGetProperty("error", out _));
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
            // Ended under the request: said so if nothing was sent yet; otherwise the stream simply ends.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(
                    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Session ended while the request was handled. Start a new session.\"},\"id\":null}",
                    requestAborted);
            }
        }
        finally
        {
            context.RequestAborted = requestAborted;
        }
    }

    private async Task RefuseAsync(HttpContext context, int status, string reason, string message, int code = -32600, string id = "null")
    {
        Log.McpRequestRefused(logger, context.Request.Path.Value ?? "", reason, status);
        metrics.Refused(reason);
        await options.Value.Events.SessionRefused(new McpSessionRefusedContext(context, reason, status));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":" + code.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"message\":" + System.Text.Json.JsonSerializer.Serialize(message, OAuthJsonContext.Default.String) + "},\"id\":" + id + "}",
            context.RequestAborted);
    }

    private static bool IsInitialize(JsonElement? message)
        => message is { } m && m.TryGetProperty("method", out var method) && method.ValueKind == JsonValueKind.String && method.ValueEquals("initialize");

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
