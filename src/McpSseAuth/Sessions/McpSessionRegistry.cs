using System.Collections.Concurrent;
using System.Security.Claims;
using McpSseAuth.Grants;
using Microsoft.AspNetCore.Http;
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
    private readonly ConcurrentDictionary<string, SessionEntry> _sessions = new(StringComparer.Ordinal);
    // Sessions live or opening (reserved), per user and in all.
    private readonly ConcurrentDictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private int _total;

    // Completed (and replaced) whenever a session is listed: wakes WaitForAsync.
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
        _idleTimeout = options.Value.Sessions.IdleTimeout;
        SweepPeriod = TimeSpan.FromTicks(Math.Min(_idleTimeout.Ticks / 4, TimeSpan.TicksPerMinute));
        _idleSweep = time.CreateTimer(_ => EndIdle(), null, SweepPeriod, SweepPeriod);
    }

    /// <summary>
    /// How often live sessions are looked over: a few times per idle timeout, at most once a minute, so a session ends
    /// within a quarter of the timeout after it. The relay's upkeep (<see cref="SseRelay"/>) keeps the same pace.
    /// </summary>
    public TimeSpan SweepPeriod { get; }

    // Places the MCP request guards (Mcp/SessionLimitGuard) hold for requests that may open a session, by request, until the
    // session run takes one over or the request ends: kept here rather than in the request's Items, which a legacy SSE
    // stream would hold (a dictionary per stream) for its whole life.
    private readonly ConcurrentDictionary<HttpContext, SessionReservation> _held = new(ReferenceEqualityComparer.Instance);

    /// <summary>Holds <paramref name="reservation"/> for <paramref name="request"/> until <see cref="TakeHeld"/> or <see cref="Unhold"/>.</summary>
    public void Hold(HttpContext request, SessionReservation reservation) => _held[request] = reservation;

    /// <summary>The place held for <paramref name="request"/>, if any, no longer held for it.</summary>
    public SessionReservation? TakeHeld(HttpContext request) => _held.TryRemove(request, out var reservation) ? reservation : null;

    /// <summary>Stops holding a place for <paramref name="request"/> (the request ends).</summary>
    public void Unhold(HttpContext request) => _held.TryRemove(request, out _);

    /// <summary>How many sessions are live or opening.</summary>
    public int Count => Volatile.Read(ref _total);

    /// <summary>
    /// Takes a place for a session <paramref name="subject"/> is about to open, atomically under both caps: concurrent opens
    /// cannot overshoot. Null when a cap is reached (<paramref name="perUserCapReached"/> says which).
    /// </summary>
    public SessionReservation? TryReserve(string subject, int maxPerUser, int max, out bool perUserCapReached)
    {
        while (true)
        {
            var current = _perUser.GetOrAdd(subject, 0);
            if (current >= maxPerUser)
            {
                perUserCapReached = true;
                return null;
            }

            if (_perUser.TryUpdate(subject, current + 1, current))
            {
                break;
            }
        }

        if (Interlocked.Increment(ref _total) > max)
        {
            Uncount(subject);
            perUserCapReached = false;
            return null;
        }

        perUserCapReached = false;
        return new SessionReservation(subject);
    }

    /// <summary>
    /// A fair share of the user's places for <paramref name="clientId"/>, at the per-user cap: when another client of the
    /// user holds more of their sessions than this one, that client's least recently used idle session ends and its place
    /// is freed now, so one client cannot lock the user's other clients out. Null when this client is itself the largest
    /// holder (it should close one of its own) or no session of the largest holder is idle; else the session ended.
    /// </summary>
    public SessionEntry? TryMakeRoomFor(string subject, string clientId)
    {
        lock (_fairShare)
        {
            var live = _sessions.Values.Where(e => e.Info.Subject == subject && !e.End.IsCancellationRequested).ToList();
            var mine = live.Count(e => e.Info.ClientId == clientId);
            var largest = live.GroupBy(e => e.Info.ClientId, StringComparer.Ordinal).OrderByDescending(g => g.Count()).FirstOrDefault();
            if (largest is null || largest.Count() <= mine)
            {
                return null;
            }

            var victim = largest.Where(e => e.InFlight == 0).OrderBy(e => e.LastActivity).FirstOrDefault();
            if (victim is null || !Cancel(victim, "made room for another client of the same user", McpSessionEndReason.Ended))
            {
                return null;
            }

            // Its place is free at once; the session's own end (Remove) then finds it gone and counts nothing twice.
            if (((ICollection<KeyValuePair<string, SessionEntry>>)_sessions).Remove(new KeyValuePair<string, SessionEntry>(victim.Info.SessionId, victim)))
            {
                Uncount(subject);
            }

            return victim;
        }
    }

    /// <summary>Gives back a place no session took over; true when it did (its seat, if any, is the caller's to give back).</summary>
    public bool Release(SessionReservation reservation)
    {
        if (!reservation.TryGiveBack())
        {
            return false;
        }

        Uncount(reservation.Subject);
        return true;
    }

    private void Uncount(string subject)
    {
        Interlocked.Decrement(ref _total);
        _perUser.AddOrUpdate(subject, 0, (_, n) => Math.Max(0, n - 1));
        ((ICollection<KeyValuePair<string, int>>)_perUser).Remove(new KeyValuePair<string, int>(subject, 0));
    }

    /// <summary>
    /// Registers a session opened by <paramref name="user"/>, taking over the request's <paramref name="reservation"/> when
    /// there is one still held; <see cref="Remove"/> it when the session ends.
    /// </summary>
    public SessionEntry Add(string sessionId, McpSessionTransport transport, ClaimsPrincipal user, CancellationToken sessionEnded, SessionReservation? reservation = null)
    {
        var info = new McpSessionInfo(
            sessionId,
            transport,
            Users.SignedInUser.From(user)?.Subject ?? "",
            user.FindFirst("client_id")?.Value ?? "",
            user.FindFirst(GrantClaims.GrantId)?.Value,
            (user.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            _time.GetUtcNow());
        var tookOver = reservation is not null && reservation.Subject == info.Subject && reservation.TryTakeOver();
        var entry = new SessionEntry(info, CancellationTokenSource.CreateLinkedTokenSource(sessionEnded)) { User = user, Seat = tookOver ? reservation!.Seat : null };
        if (!tookOver)
        {
            // Opened without a place taken beforehand: counted now (it may overshoot a cap, it is never refused here).
            Interlocked.Increment(ref _total);
            _perUser.AddOrUpdate(info.Subject, 1, (_, n) => n + 1);
        }

        _sessions[sessionId] = entry;
        var added = Interlocked.Exchange(ref _added, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        added.TrySetResult();
        Log.McpSessionStarted(_logger, sessionId, info.Subject, info.ClientId, transport.ToString());
        return entry;
    }

    public void Remove(SessionEntry entry)
    {
        if (((ICollection<KeyValuePair<string, SessionEntry>>)_sessions).Remove(new KeyValuePair<string, SessionEntry>(entry.Info.SessionId, entry)))
        {
            Uncount(entry.Info.Subject);
            Log.McpSessionEnded(_logger, entry.Info.SessionId, entry.Info.Subject);
        }

        entry.End.Dispose();
    }

    /// <summary>Every live session of this process.</summary>
    public IEnumerable<SessionEntry> Entries => _sessions.Values;

    public SessionEntry? Find(string sessionId) => _sessions.TryGetValue(sessionId, out var entry) ? entry : null;

    /// <summary>The session, waiting up to <paramref name="timeout"/> for it to be listed; null when it never is.</summary>
    public async Task<SessionEntry?> WaitForAsync(string sessionId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Elapsed time, not the time of day: a wait, not a clock reading. Woken by each new session, not by polling.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var added = Volatile.Read(ref _added).Task;
            if (Find(sessionId) is { } entry)
            {
                return entry;
            }

            var left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                await added.WaitAsync(left, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    /// <summary>True for a session this registry ended (revoked grant, <see cref="IMcpSessions"/>).</summary>
    public bool WasEnded(string sessionId) => _ended.TryGetValue(sessionId, out _);

    /// <summary>Ends a session whose grant turned out to be revoked while it was starting.</summary>
    public void EndRevoked(SessionEntry entry) => Cancel(entry, "grant revoked", McpSessionEndReason.Revoked);

    /// <summary>The users with a live session here.</summary>
    public IReadOnlyList<string> Subjects() => [.. _sessions.Values.Select(e => e.Info.Subject).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal)];

    private readonly Lock _fairShare = new();

    public IReadOnlyList<McpSessionInfo> ListForUser(string subject)
        => [.. _sessions.Values.Where(e => e.Info.Subject == subject).Select(Snapshot).OrderBy(i => i.CreatedAt)];

    private static McpSessionInfo Snapshot(SessionEntry entry) => entry.Info with { LastActivityAt = entry.LastActivity, RequestsInFlight = entry.InFlight };

    public bool EndSession(string sessionId) => _sessions.TryGetValue(sessionId, out var entry) && Cancel(entry, "ended through IMcpSessions", McpSessionEndReason.Ended);

    public int EndForUser(string subject) => _sessions.Values.Where(e => e.Info.Subject == subject).Count(e => Cancel(e, "ended through IMcpSessions", McpSessionEndReason.Ended));

    /// <summary>Notes a request to the session (it is not idle).</summary>
    public void Touch(SessionEntry entry) => entry.Touch(_time.GetUtcNow());

    private void EndIdle()
    {
        var cutoff = _time.GetUtcNow() - _idleTimeout;
        foreach (var entry in _sessions.Values.Where(e => e.LastActivity <= cutoff && e.InFlight == 0))
        {
            Cancel(entry, "idle", McpSessionEndReason.Idle);
        }
    }

    private void EndForGrant(string grantId)
    {
        foreach (var entry in _sessions.Values.Where(e => e.Info.GrantId == grantId))
        {
            Cancel(entry, "grant revoked", McpSessionEndReason.Revoked);
        }
    }

    private bool Cancel(SessionEntry entry, string reason, McpSessionEndReason why)
    {
        try
        {
            if (entry.End.IsCancellationRequested)
            {
                return false;
            }

            Log.McpSessionEnding(_logger, entry.Info.SessionId, entry.Info.Subject, reason);
            entry.EndReason ??= why;
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
