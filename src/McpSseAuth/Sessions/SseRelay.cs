using System.Collections.Concurrent;
using System.Text.Json;
using McpSseAuth.Http;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;

namespace McpSseAuth.Sessions;

/// <summary>
/// Legacy SSE without sticky sessions. The stream (<c>GET /sse</c>) lives on one instance, but the client's
/// <c>POST /message</c> may reach any: each instance lists its SSE sessions in the storage's session directory, and an
/// instance that receives a message for a session held elsewhere checks the token against the listed user and client,
/// then hands the message to the holder over <see cref="IMcpOAuthBus"/> and returns the holder's answer (202, or its
/// refusal). The holder runs it through the same checks and the SDK as a local message, as the session's user; the
/// result goes out on its stream. Access tokens never travel on the bus. Off with a single instance (the in-process bus).
/// </summary>
internal sealed class SseRelay(
    SessionDirectory directory,
    IMcpOAuthBus bus,
    McpSessionRegistry registry,
    IServiceProvider services,
    TimeProvider time,
    ILogger<SseRelay> logger) : BackgroundService
{
    /// <summary>How long a sending instance waits for the holder's answer.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    // By path as routing matches it: case-insensitive, a trailing slash ignored.
    private readonly ConcurrentDictionary<string, RequestDelegate> _messageHandlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RelayMessage>> _awaiting = new(StringComparer.Ordinal);
    private readonly RelayChannel _channel = new(bus, time, logger);

    /// <summary>
    /// The handler of <c>POST {path}</c> (legacy SSE messages): the SDK's, behind the same guards as a local message
    /// (Hosting maps it); relayed messages run through it.
    /// </summary>
    public void AddMessageHandler(PathString path, RequestDelegate handler) => _messageHandlers[HandlerKey(path.Value)] = handler;

    private static string HandlerKey(string? path) => (path ?? "").TrimEnd('/');

    /// <summary>Hands the message to the holder and writes its answer; 404 when the holder does not answer (it is gone).</summary>
    public async Task ForwardAsync(HttpContext context, SessionHolder holder, string sessionId, ReadOnlyMemory<byte> message, string? scope)
    {
        await _channel.WaitUntilListeningAsync(context.RequestAborted);
        var id = Guid.NewGuid().ToString("N");
        var answer = new TaskCompletionSource<RelayMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaiting[id] = answer;
        try
        {
            var request = new RelayMessage { Id = id, ReplyTo = bus.InstanceId, SessionId = sessionId, Path = context.Request.Path.Value, Scope = scope, Body = message.ToArray() };
            await bus.PublishAsync(Channel(holder.Instance), JsonSerializer.SerializeToUtf8Bytes(request, RelayJsonContext.Default.RelayMessage), context.RequestAborted);
            RelayMessage reply;
            try
            {
                reply = await answer.Task.WaitAsync(AnswerTimeout, time, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                Log.SseRelayUnanswered(logger, sessionId, holder.Instance);
                reply = NotFound(id, "Session not found: the server holding its stream does not answer. Open a new SSE stream.");
            }

            context.Response.StatusCode = reply.Status;
            if (reply.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            if (reply.ContentType is { } contentType)
            {
                context.Response.ContentType = contentType;
            }

            if (reply.Body is { Length: > 0 } body)
            {
                await context.Response.Body.WriteAsync(body, context.RequestAborted);
            }
        }
        finally
        {
            _awaiting.TryRemove(id, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!directory.Enabled)
        {
            return;
        }

        var subscription = await _channel.SubscribeAsync(Channel(bus.InstanceId), ReceivedAsync, stoppingToken);
        try
        {
            // Upkeep: keep this instance's sessions listed, and end any whose grant was revoked while a published
            // revocation was lost (the bus delivers at most once).
            using var timer = new PeriodicTimer(registry.SweepPeriod, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await directory.UpkeepAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.SseRelaySubscriptionFailed(logger, e);   // next round; a failing upkeep must not stop the host
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (subscription is not null)
            {
                await subscription.DisposeAsync();
            }
        }
    }

    private async ValueTask ReceivedAsync(ReadOnlyMemory<byte> payload)
    {
        var message = JsonSerializer.Deserialize(payload.Span, RelayJsonContext.Default.RelayMessage);
        if (message is null)
        {
            return;
        }

        if (message.ReplyTo is null)
        {
            if (_awaiting.TryRemove(message.Id, out var waiting))
            {
                waiting.TrySetResult(message);
            }

            return;
        }

        // Not awaited by the bus: a slow tool must not hold up other messages.
        _ = Task.Run(async () =>
        {
            RelayMessage reply;
            try
            {
                reply = await HandleAsync(message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.SseRelayFailed(logger, message.SessionId ?? "", e);
                reply = new RelayMessage { Id = message.Id, Status = StatusCodes.Status503ServiceUnavailable, RetryAfter = StorageFaults.RetryAfterSeconds, ContentType = "application/json", Body = JsonRpcErrors.RpcError(McpErrorCode.InvalidRequest, "The message could not be handed to its session. Try again.") };
            }

            try
            {
                await bus.PublishAsync(Channel(message.ReplyTo), JsonSerializer.SerializeToUtf8Bytes(reply, RelayJsonContext.Default.RelayMessage), CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.SseRelayFailed(logger, message.SessionId ?? "", e);
            }
        });
    }

    /// <summary>Runs a relayed message as <c>POST /message</c> of the local session, and captures the answer.</summary>
    private async Task<RelayMessage> HandleAsync(RelayMessage message)
    {
        if (message.SessionId is not { } sessionId || registry.Find(sessionId) is not { } entry
            || message.Path is not { } path || !_messageHandlers.TryGetValue(HandlerKey(path), out var handler))
        {
            return NotFound(message.Id, "Session not found. Open a new SSE stream.");
        }

        await using var scope = services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, User = RelayedUser.Of(entry.User, message.Scope) };
        var body = message.Body ?? [];
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = path;
        context.Request.QueryString = QueryString.Create("sessionId", sessionId);
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body, writable: false);
        using var response = new MemoryStream();
        context.Response.Body = response;
        using var timeout = new CancellationTokenSource(AnswerTimeout, time);
        context.RequestAborted = timeout.Token;

        await handler(context);

        return new RelayMessage
        {
            Id = message.Id,
            Status = context.Response.StatusCode,
            ContentType = context.Response.ContentType,
            RetryAfter = context.Response.Headers.RetryAfter.Count > 0 ? context.Response.Headers.RetryAfter.ToString() : null,
            Body = response.ToArray(),
        };
    }

    private static RelayMessage NotFound(string id, string text)
        => new() { Id = id, Status = StatusCodes.Status404NotFound, ContentType = "application/json", Body = JsonRpcErrors.RpcError(McpErrorCode.InvalidRequest, text) };

    private static string Channel(string instance) => "sse:" + instance;
}
