using System.Collections.Concurrent;
using System.Security.Claims;
using McpSseAuth.Tokens;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Sessions;

/// <summary>
/// Every live stateful MCP session of this process, with the user, client and grant of the token that opened it. Each
/// carries a cancellation source that ends the SDK's session run: the SSE stream closes, the Streamable session is over.
/// Revoking a grant (<see cref="GrantRevocationSignal"/>) ends its sessions at once.
/// </summary>
internal sealed class McpSessionRegistry : IMcpSessions, IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _perUser = new(StringComparer.Ordinal);

    // Sessions this registry ended, remembered for a while so their next request gets 404 (the client starts anew)
    // instead of reaching an SDK session that no longer runs. Bounded: each is one small entry.
    private readonly MemoryCache _ended = new(new MemoryCacheOptions { SizeLimit = 100_000 });
    private readonly TimeProvider _time;
    private readonly ILogger<McpSessionRegistry> _logger;
    private readonly GrantRevocationSignal _revocations;

    private readonly ITimer _idleSweep;
    private readonly TimeSpan _idleTimeout;

    public McpSessionRegistry(GrantRevocationSignal revocations, TimeProvider time, Microsoft.Extensions.Options.IOptions<McpOAuthOptions> options, ILogger<McpSessionRegistry> logger)
    {
        _time = time;
        _logger = logger;
        _revocations = revocations;
        _revocations.Revoked += EndForGrant;
        _idleTimeout = options.Value.SessionIdleTimeout;
        // Swept a few times per timeout, at most once a minute: a session ends within a quarter of the timeout after it.
        var period = TimeSpan.FromTicks(Math.Min(_idleTimeout.Ticks / 4, TimeSpan.TicksPerMinute));
        _idleSweep = time.CreateTimer(_ => EndIdle(), null, period, period);
    }

    public sealed class Entry(McpSessionInfo info, CancellationTokenSource end)
    {
        private int _inFlight;
        private long _lastActivityTicks = info.CreatedAt.UtcTicks;

        /// <summary>When a request last named this session.</summary>
        public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivityTicks), TimeSpan.Zero);

        public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastActivityTicks, now.UtcTicks);

        public McpSessionInfo Info { get; } = info;
        public CancellationTokenSource End { get; } = end;

        /// <summary>JSON-RPC requests received and not yet answered (counted for legacy SSE).</summary>
        public int InFlight => Volatile.Read(ref _inFlight);

        /// <summary>Takes a slot for a request; false when <paramref name="limit"/> are already waiting.</summary>
        public bool TryStartRequest(int limit)
        {
            while (true)
            {
                var current = Volatile.Read(ref _inFlight);
                if (current >= limit)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref _inFlight, current + 1, current) == current)
                {
                    return true;
                }
            }
        }

        /// <summary>A request was answered.</summary>
        public void EndRequest()
        {
            while (true)
            {
                var current = Volatile.Read(ref _inFlight);
                if (current == 0 || Interlocked.CompareExchange(ref _inFlight, current - 1, current) == current)
                {
                    return;
                }
            }
        }
    }

    /// <summary>How many live sessions the user holds.</summary>
    public int CountForUser(string subject) => _perUser.TryGetValue(subject, out var count) ? count : 0;

    public int Count => _sessions.Count;

    /// <summary>Live sessions per transport, both always present (for metrics).</summary>
    public IEnumerable<(string Transport, long Count)> CountByTransport()
    {
        long sse = 0, streamable = 0;
        foreach (var entry in _sessions.Values)
        {
            if (entry.Info.Transport == McpSessionTransport.Sse)
            {
                sse++;
            }
            else
            {
                streamable++;
            }
        }

        return [("sse", sse), ("streamable_http", streamable)];
    }

    /// <summary>Registers a session opened by <paramref name="user"/>; dispose the result when the session ends.</summary>
    public Entry Add(string sessionId, McpSessionTransport transport, ClaimsPrincipal user, CancellationToken sessionEnded)
    {
        var info = new McpSessionInfo(
            sessionId,
            transport,
            Identity.SignedInUser.From(user)?.Subject ?? "",
            user.FindFirst("client_id")?.Value ?? "",
            user.FindFirst(AccessTokenIssuer.GrantIdClaim)?.Value,
            (user.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            _time.GetUtcNow());
        var entry = new Entry(info, CancellationTokenSource.CreateLinkedTokenSource(sessionEnded));
        _sessions[sessionId] = entry;
        _perUser.AddOrUpdate(info.Subject, 1, (_, n) => n + 1);
        Log.McpSessionStarted(_logger, sessionId, info.Subject, info.ClientId, transport.ToString());
        return entry;
    }

    public void Remove(Entry entry)
    {
        if (((ICollection<KeyValuePair<string, Entry>>)_sessions).Remove(new KeyValuePair<string, Entry>(entry.Info.SessionId, entry)))
        {
            _perUser.AddOrUpdate(entry.Info.Subject, 0, (_, n) => Math.Max(0, n - 1));
            ((ICollection<KeyValuePair<string, int>>)_perUser).Remove(new KeyValuePair<string, int>(entry.Info.Subject, 0));
            Log.McpSessionEnded(_logger, entry.Info.SessionId, entry.Info.Subject);
        }

        entry.End.Dispose();
    }

    public Entry? Find(string sessionId) => _sessions.TryGetValue(sessionId, out var entry) ? entry : null;

    /// <summary>The session, waiting up to <paramref name="timeout"/> for it to be listed; null when it never is.</summary>
    public async Task<Entry?> WaitForAsync(string sessionId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Elapsed time, not the time of day: a wait, not a clock reading.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            if (Find(sessionId) is { } entry)
            {
                return entry;
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return null;
            }

            await Task.Delay(5, cancellationToken);
        }
    }

    /// <summary>True for a session this registry ended (revoked grant, <see cref="IMcpSessions"/>).</summary>
    public bool WasEnded(string sessionId) => _ended.TryGetValue(sessionId, out _);

    /// <summary>Ends a session whose grant turned out to be revoked while it was starting.</summary>
    public void EndRevoked(Entry entry) => Cancel(entry, "grant revoked");

    public IReadOnlyList<McpSessionInfo> ListForUser(string subject)
        => [.. _sessions.Values.Where(e => e.Info.Subject == subject).Select(Snapshot).OrderBy(i => i.CreatedAt)];

    private static McpSessionInfo Snapshot(Entry entry) => entry.Info with { LastActivityAt = entry.LastActivity, RequestsInFlight = entry.InFlight };

    public bool EndSession(string sessionId) => _sessions.TryGetValue(sessionId, out var entry) && Cancel(entry, "ended through IMcpSessions");

    public int EndForUser(string subject) => _sessions.Values.Where(e => e.Info.Subject == subject).Count(e => Cancel(e, "ended through IMcpSessions"));

    /// <summary>Notes a request to the session (it is not idle).</summary>
    public void Touch(Entry entry) => entry.Touch(_time.GetUtcNow());

    private void EndIdle()
    {
        var cutoff = _time.GetUtcNow() - _idleTimeout;
        foreach (var entry in _sessions.Values.Where(e => e.LastActivity <= cutoff && e.InFlight == 0))
        {
            Cancel(entry, "idle");
        }
    }

    private void EndForGrant(string grantId)
    {
        foreach (var entry in _sessions.Values.Where(e => e.Info.GrantId == grantId))
        {
            Cancel(entry, "grant revoked");
        }
    }

    private bool Cancel(Entry entry, string reason)
    {
        try
        {
            if (entry.End.IsCancellationRequested)
            {
                return false;
            }

            Log.McpSessionEnding(_logger, entry.Info.SessionId, entry.Info.Subject, reason);
            _ended.Set(entry.Info.SessionId, true, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(2) });
            entry.End.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;   // ended meanwhile
        }
    }

    public void Dispose()
    {
        _idleSweep.Dispose();
        _revocations.Revoked -= EndForGrant;
        _ended.Dispose();
    }
}

/// <summary>Raised whenever a grant is revoked (connected-apps page, replay detection), so live sessions of it can end.</summary>
internal sealed class GrantRevocationSignal
{
    public event Action<string>? Revoked;

    public void Raise(string grantId) => Revoked?.Invoke(grantId);
}
