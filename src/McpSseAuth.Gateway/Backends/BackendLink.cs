using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using McpSseAuth.Gateway.Relay;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// One connection to a server behind the gateway — a process, or an HTTP session — for one user (and, with
/// <see cref="McpGatewayIsolation.PerSession"/>, one session), never shared between users. It relays messages, not bytes:
/// a request goes out with a progress token of its own and the answer, progress and cancellation come back to the request
/// that asked (<see cref="SendAsync"/>); the server's notifications go to the sessions they concern and its requests
/// (sampling, elicitation, roots) to a session that can answer them (BackendLinkRouting.cs).
/// </summary>
internal sealed partial class BackendLink : IAsyncDisposable
{
    private static readonly TimeSpan StandardErrorWindow = TimeSpan.FromSeconds(10);
    private static long s_links;
    private readonly ConcurrentDictionary<FrontSession, byte> _sessions = new();
    private readonly ConcurrentDictionary<string, ProgressRoute> _progress = new(StringComparer.Ordinal);
    private readonly LinkedList<InFlight> _inFlight = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly string _id = Interlocked.Increment(ref s_links).ToString(System.Globalization.CultureInfo.InvariantCulture);
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics _metrics;
    private McpClient? _client;
    private long _progressTokens;
    private long _lastUsed;
    private int _stderrLines;
    private long _stderrWindow;

    private BackendLink(BackendRoute backend, string subject, string? sessionId, ILogger logger, TimeProvider time, GatewayMetrics metrics)
    {
        _metrics = metrics;
        Backend = backend;
        Subject = subject;
        SessionId = sessionId;
        _logger = logger;
        _time = time;
        _lastUsed = _stderrWindow = time.GetTimestamp();
    }

    public BackendRoute Backend { get; }

    public string Subject { get; }

    /// <summary>The one session this link serves (<see cref="McpGatewayIsolation.PerSession"/>), or null for the user's.</summary>
    public string? SessionId { get; }

    public bool IsClosed => _closed.IsCancellationRequested;

    /// <summary>Cancelled when the connection ends, whatever ended it.</summary>
    public CancellationToken Closed => _closed.Token;

    public ServerCapabilities? Capabilities => _client?.ServerCapabilities;

    /// <summary>Whether a session uses it, or did within <paramref name="idle"/>.</summary>
    public bool InUse(TimeSpan idle)
        => !_sessions.IsEmpty || _time.GetElapsedTime(Interlocked.Read(ref _lastUsed)) < idle;

    public int SessionCount => _sessions.Count;

    /// <summary>When a session last used it (a <see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long LastUsed => Interlocked.Read(ref _lastUsed);

    /// <summary>Starts the process or opens the HTTP session and initializes it, offering the client capabilities of <paramref name="first"/>.</summary>
    public static async Task<BackendLink> ConnectAsync(BackendRoute backend, FrontSession first, string? sessionId, UserValues user, BackendTransports transports, ILoggerFactory loggers, McpGatewayProcessOptions processes, TimeProvider time, GatewayMetrics metrics, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("McpSseAuth.Gateway.Backends");
        var link = new BackendLink(backend, first.Subject, sessionId, logger, time, metrics);
        var capabilities = first.Capabilities;
        var options = new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "McpSseAuth.Gateway", Version = typeof(BackendLink).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" },
            // Sessions, and server requests as requests: what the relay forwards message for message.
            ProtocolVersion = "2025-11-25",
            InitializationTimeout = processes.StartTimeout,
            // The client capabilities of the session it serves, so the server offers what that client can answer.
            Capabilities = new ClientCapabilities { Elicitation = capabilities?.Elicitation, Roots = capabilities?.Roots, Sampling = capabilities?.Sampling },
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = link.NotificationHandlers(),
                SamplingHandler = capabilities?.Sampling is null ? null : link.SampleAsync,
                ElicitationHandler = capabilities?.Elicitation is null ? null : link.ElicitAsync,
                RootsHandler = capabilities?.Roots is null ? null : link.ListRootsAsync,
            },
        };

        // Attached before it initializes: a server may ask for the roots at once (server-everything does), and the
        // session that made the connection is the one to answer.
        link.Attach(first);
        try
        {
            var transport = new OrderedTransport(transports.Create(backend, user, link.OnStandardError), link.Observe);
            link._client = await McpClient.CreateAsync(transport, options, loggers, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await link.DisposeAsync();
            throw BackendUnavailableException.CouldNotStart(backend, ex);
        }

        _ = link.WatchAsync();
        GatewayLog.BackendConnected(logger, backend.Name, first.Subject, link._id);
        return link;
    }

    public void Attach(FrontSession session)
    {
        _sessions[session] = 0;
        Touch();
    }

    /// <summary>
    /// A session stopped using the link. A link of one session closes with it; a user's stays until idle, unless
    /// <paramref name="stopUnused"/> and no other session uses it.
    /// </summary>
    public async ValueTask DetachAsync(FrontSession session, bool stopUnused = false)
    {
        _sessions.TryRemove(session, out _);
        Touch();
        if ((SessionId is not null || stopUnused) && _sessions.IsEmpty)
        {
            await DisposeAsync();
        }
    }

    /// <summary>
    /// Sends a client's request on, with a progress token of the gateway's own mapped back to the client's, and gives the
    /// result. The request is cancelled when the client cancels it (the SDK tells the server) or when the server sends
    /// nothing for it — no result, no progress — for <see cref="McpGatewayServer.RequestTimeout"/>.
    /// </summary>
    public async Task<JsonNode?> SendAsync(string method, JsonNode? parameters, FrontSession session, McpServer replyTo, CancellationToken cancellationToken)
    {
        var client = _client!;   // set by ConnectAsync before anyone holds the link
        Touch();
        var outgoing = parameters?.DeepClone() as JsonObject;
        var timeoutAfter = Backend.Server.RequestTimeout;
        using var timeout = new CancellationTokenSource(timeoutAfter, _time);
        string? progressToken = null;
        if (outgoing?["_meta"] is JsonObject meta)
        {
            // The per-request metadata of the client's own protocol revision is not the server's: the SDK writes its own.
            foreach (var key in meta.Select(p => p.Key).Where(k => k.StartsWith("io.modelcontextprotocol/", StringComparison.Ordinal)).ToArray())
            {
                meta.Remove(key);
            }

            if (meta["progressToken"] is { } clientToken)
            {
                progressToken = $"gw-{_id}-{Interlocked.Increment(ref _progressTokens)}";
                meta["progressToken"] = progressToken;
                _progress[progressToken] = new ProgressRoute(replyTo, clientToken.DeepClone(), () => timeout.CancelAfter(timeoutAfter));
            }
        }

        var call = new InFlight(session, replyTo);
        LinkedListNode<InFlight> node;
        lock (_gate)
        {
            node = _inFlight.AddLast(call);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _closed.Token);
        var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = "cancelled";
        try
        {
            var response = await client.SendRequestAsync(new JsonRpcRequest { Method = method, Params = outgoing }, linked.Token);
            if (progressToken is not null && _progress.TryGetValue(progressToken, out var route))
            {
                await route.Drained;
            }

            outcome = "ok";
            return response.Result;
        }
        catch (McpProtocolException)
        {
            outcome = "error";
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            outcome = "timeout";
            throw new McpProtocolException($"The MCP server '{Backend.Name}' sent nothing for {timeoutAfter.TotalSeconds:0} seconds: the request was cancelled.", McpErrorCode.InternalError);
        }
        catch (Exception ex) when (ex is not McpProtocolException && !cancellationToken.IsCancellationRequested)
        {
            // The process exited or the connection broke: this link is done; the next request connects anew.
            outcome = "unavailable";
            GatewayLog.BackendFailed(_logger, Backend.Name, Subject, _id, ex.GetType().Name);
            await DisposeAsync();
            throw BackendUnavailableException.Lost(Backend, ex);
        }
        finally
        {
            _metrics.Relayed(Backend.Name, method, outcome, startedAt);
            lock (_gate)
            {
                _inFlight.Remove(node);
            }

            if (progressToken is not null)
            {
                _progress.TryRemove(progressToken, out _);
            }

            Touch();
        }
    }

    /// <summary>A notification from the client (e.g. its roots changed) for the server.</summary>
    public async Task NotifyAsync(string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        if (_client is { } client && !IsClosed)
        {
            await client.SendMessageAsync(new JsonRpcNotification { Method = method, Params = parameters?.DeepClone() }, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        await _closed.CancelAsync();
        foreach (var session in _sessions.Keys)
        {
            session.Forget(this);
        }

        _sessions.Clear();
        if (_client is { } client)
        {
            try
            {
                await client.DisposeAsync();
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
            {
                // Already gone: nothing more to close.
            }

            GatewayLog.BackendClosed(_logger, Backend.Name, Subject, _id);
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastUsed, _time.GetTimestamp());

    private async Task WatchAsync()
    {
        try
        {
            var details = await _client!.Completion;
            if (!IsClosed)
            {
                GatewayLog.BackendEnded(_logger, Backend.Name, Subject, _id, details.Exception?.GetType().Name ?? "closed");
            }
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <summary>
    /// The server's standard error, to the log with the server and the user named; a flood is cut to 100 lines per
    /// 10 seconds so one process cannot drown the log.
    /// </summary>
    private void OnStandardError(string line)
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(Interlocked.Read(ref _stderrWindow), now) > StandardErrorWindow)
        {
            Interlocked.Exchange(ref _stderrWindow, now);
            var dropped = Interlocked.Exchange(ref _stderrLines, 0) - 100;
            if (dropped > 0)
            {
                GatewayLog.StandardErrorDropped(_logger, Backend.Name, Subject, dropped);
            }
        }

        if (Interlocked.Increment(ref _stderrLines) <= 100)
        {
            GatewayLog.StandardError(_logger, Backend.Name, Subject, line.Length > 2_000 ? line[..2_000] : line);
        }
    }

    /// <summary>A client request being handled by the server: the session and the server object its answers go through.</summary>
    private sealed record InFlight(FrontSession Session, McpServer ReplyTo);
}
