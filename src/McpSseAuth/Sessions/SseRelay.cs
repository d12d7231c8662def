using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
    IMcpOAuthStorage storage,
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
    // Completed once this instance listens for answers: a message forwarded before that waits for it, briefly.
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True when instances share a bus: sessions are listed, and messages relayed.</summary>
    public bool Enabled { get; } = bus is not InProcessBus;

    /// <summary>The SDK's handler of <c>POST {path}</c> (legacy SSE messages), to run relayed messages through.</summary>
    public void AddMessageHandler(PathString path, RequestDelegate handler) => _messageHandlers[HandlerKey(path.Value)] = handler;

    private static string HandlerKey(string? path) => (path ?? "").TrimEnd('/');

    /// <summary>Lists an SSE session of this instance in the directory, for the others to find.</summary>
    public async ValueTask ListAsync(McpSessionRegistry.Entry entry, CancellationToken cancellationToken)
    {
        if (Enabled && entry.Info.Transport == McpSessionTransport.Sse)
        {
            await storage.SetAsync(Key(entry.Info.SessionId), Encode(new Holder(bus.InstanceId, entry.Info.Subject, entry.Info.ClientId)), ListedUntil(), null, cancellationToken);
        }
    }

    /// <summary>Removes an ended session from the directory (it also expires by itself if this instance dies).</summary>
    public async ValueTask UnlistAsync(McpSessionRegistry.Entry entry)
    {
        if (Enabled && entry.Info.Transport == McpSessionTransport.Sse)
        {
            try
            {
                await storage.RemoveAsync(Key(entry.Info.SessionId), CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever the storage said, it expires by itself; a message for it meanwhile finds no session at the holder and gets 404.
            }
        }
    }

    /// <summary>
    /// Where a session named by a message is: here (the entry), on another instance (the holder), or nowhere. Waits up to
    /// <paramref name="timeout"/>: the SDK announces a session before it is listed, here or in the directory.
    /// </summary>
    public async Task<(McpSessionRegistry.Entry? Local, Holder? Remote)> LocateAsync(string sessionId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            if (registry.Find(sessionId) is { } local)
            {
                return (local, null);
            }

            if (await storage.GetAsync(Key(sessionId), cancellationToken) is { } listed
                && JsonSerializer.Deserialize(listed.Value.Span, RelayJsonContext.Default.Holder) is { } holder
                && holder.Instance != bus.InstanceId)
            {
                return (null, holder);
            }

            var left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return (null, null);
            }

            await registry.WaitForAsync(sessionId, left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>Hands the message to the holder and writes its answer; 404 when the holder does not answer (it is gone).</summary>
    public async Task ForwardAsync(HttpContext context, Holder holder, string sessionId, ReadOnlyMemory<byte> message, string? scope)
    {
        try
        {
            await _listening.Task.WaitAsync(TimeSpan.FromSeconds(5), time, context.RequestAborted);
        }
        catch (TimeoutException e)
        {
            throw new McpStorageUnavailableException("This instance could not subscribe to the bus yet.", e);
        }

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
        if (!Enabled)
        {
            return;
        }

        IAsyncDisposable? subscription = null;
        while (subscription is null && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                subscription = await bus.SubscribeAsync(Channel(bus.InstanceId), ReceivedAsync, stoppingToken);
                _listening.TrySetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Unreachable, or refused (an ACL without the channel): logged, tried again; never the host's end.
                Log.SseRelaySubscriptionFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
        }

        try
        {
            // Upkeep: keep this instance's sessions listed, and end any whose grant was revoked while a published
            // revocation was lost (the bus delivers at most once).
            using var timer = new PeriodicTimer(registry.SweepPeriod, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await UpkeepAsync(stoppingToken);
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

    private async Task UpkeepAsync(CancellationToken cancellationToken)
    {
        var revocations = services.GetRequiredService<Grants.IGrantRevocations>();
        foreach (var entry in registry.Entries.ToList())
        {
            try
            {
                if (entry.Info.GrantId is { } grantId && await revocations.IsRevokedAsync(grantId, cancellationToken))
                {
                    registry.EndRevoked(entry);
                    continue;
                }

                await ListAsync(entry, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.SseRelaySubscriptionFailed(logger, e);
                return;   // next round; a failing upkeep must not stop the host
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
                reply = new RelayMessage { Id = message.Id, Status = StatusCodes.Status503ServiceUnavailable, RetryAfter = Http.StorageFaults.RetryAfterSeconds, ContentType = "application/json", Body = RpcError("The message could not be handed to its session. Try again.") };
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
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, User = AsSender(entry.User, message.Scope) };
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

        await services.GetRequiredService<SessionBinding>().InvokeAsync(context, handler, legacySse: true);

        return new RelayMessage
        {
            Id = message.Id,
            Status = context.Response.StatusCode,
            ContentType = context.Response.ContentType,
            RetryAfter = context.Response.Headers.RetryAfter.Count > 0 ? context.Response.Headers.RetryAfter.ToString() : null,
            Body = response.ToArray(),
        };
    }

    /// <summary>The session's user, with the scopes of the token the message was sent with (checked by the sender).</summary>
    private static System.Security.Claims.ClaimsPrincipal AsSender(System.Security.Claims.ClaimsPrincipal opener, string? scope)
    {
        var identity = new System.Security.Claims.ClaimsIdentity(
            opener.Claims.Where(c => c.Type != "scope"),
            opener.Identity?.AuthenticationType ?? "relayed",
            (opener.Identity as System.Security.Claims.ClaimsIdentity)?.NameClaimType,
            (opener.Identity as System.Security.Claims.ClaimsIdentity)?.RoleClaimType);
        if (scope is not null)
        {
            identity.AddClaim(new System.Security.Claims.Claim("scope", scope));
        }

        return new System.Security.Claims.ClaimsPrincipal(identity);
    }

    private static RelayMessage NotFound(string id, string text)
        => new() { Id = id, Status = StatusCodes.Status404NotFound, ContentType = "application/json", Body = RpcError(text) };

    private static byte[] RpcError(string text)
        => System.Text.Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":" + JsonSerializer.Serialize(text, RelayJsonContext.Default.String) + "},\"id\":null}");

    private DateTimeOffset ListedUntil()
    {
        // Refreshed by the upkeep a few times per idle timeout; gone by itself a little after this instance stops.
        return time.GetUtcNow() + registry.SweepPeriod * 3;
    }

    private static byte[] Encode(Holder holder) => JsonSerializer.SerializeToUtf8Bytes(holder, RelayJsonContext.Default.Holder);

    private static string Key(string sessionId) => Storage.StoredJson.Key("sse", sessionId);

    private static string Channel(string instance) => "sse:" + instance;

    /// <summary>The instance holding a session's stream, and whose session it is.</summary>
    internal sealed record Holder(string Instance, string Subject, string ClientId);

    /// <summary>A relayed message (<see cref="ReplyTo"/> set) or the holder's answer to one.</summary>
    internal sealed class RelayMessage
    {
        public required string Id { get; init; }
        public string? ReplyTo { get; init; }
        public string? SessionId { get; init; }
        public string? Path { get; init; }
        /// <summary>The scopes of the token the message came with (they may be wider than the opener's, after a step-up).</summary>
        public string? Scope { get; init; }
        public int Status { get; init; }
        public string? ContentType { get; init; }
        public string? RetryAfter { get; init; }
        public byte[]? Body { get; init; }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SseRelay.Holder))]
[JsonSerializable(typeof(SseRelay.RelayMessage))]
[JsonSerializable(typeof(string))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;
