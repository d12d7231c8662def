using McpSseAuth.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Sessions;

/// <summary>
/// The session caps across instances. Each user has <see cref="McpOAuthSessionOptions.MaxPerUser"/> numbered seats in the
/// storage; a request that opens a session (legacy SSE's GET, Streamable HTTP's <c>initialize</c>) takes a free one with an
/// add-if-absent, so instances opening sessions for one user at once cannot overshoot, and the session gives it back when
/// it ends. A seat is kept by the holder's upkeep and expires by itself a little after its instance dies, like the
/// directory's listing. The server-wide cap counts the directory's listings of every instance
/// (<see cref="SessionDirectory.Partition"/>): exact at rest, it can be overshot by sessions opening at the very same moment.
/// Off with a single instance (the in-process bus), where the registry's own counts are the whole server's.
/// </summary>
internal sealed class SessionSeats([FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage, IMcpOAuthBus bus, McpSessionRegistry registry, TimeProvider time)
{
    // How long a session whose seat was just freed on this instance (the fair share) may take to end before its place is looked for again.
    private static readonly TimeSpan FreeingWait = TimeSpan.FromSeconds(2);

    /// <summary>True when instances share a bus (and so the storage): the caps are counted there.</summary>
    public bool Enabled { get; } = bus is not InProcessBus;

    /// <summary>A free seat of <paramref name="subject"/> taken for a session about to open, or the cap that left none.</summary>
    public async Task<SessionSeat> TryTakeAsync(string subject, int maxPerUser, int maxTotal, CancellationToken cancellationToken)
    {
        var partition = UserPartition(subject);
        var taken = (await storage.ListAsync(partition, cancellationToken)).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        if (taken.Count >= maxPerUser)
        {
            return SessionSeat.PerUserCapReached;
        }

        // The count may include listings expired but not removed yet: only at the cap are they listed (and so pruned) to be sure.
        if (await storage.CountAsync(SessionDirectory.Partition, cancellationToken) >= maxTotal
            && (await storage.ListAsync(SessionDirectory.Partition, cancellationToken)).Count >= maxTotal)
        {
            return SessionSeat.TotalCapReached;
        }

        var holder = System.Text.Encoding.UTF8.GetBytes(bus.InstanceId + " " + Guid.NewGuid().ToString("N"));
        for (var i = 0; i < maxPerUser; i++)
        {
            var key = SeatKey(subject, i);
            if (!taken.Contains(key) && await storage.TryAddAsync(key, holder, KeptUntil(), partition, cancellationToken))
            {
                return new SessionSeat(key, holder);
            }
        }

        return SessionSeat.PerUserCapReached;   // taken meanwhile on other instances
    }

    /// <summary>Waits (briefly) for a session this instance ended to make room to give its seat back.</summary>
    public async Task WaitUntilFreedAsync(SessionEntry ended, CancellationToken cancellationToken)
    {
        try
        {
            await ended.Gone.WaitAsync(FreeingWait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Not ended yet: the seat is looked for all the same, and the request refused if none is free.
        }
    }

    /// <summary>
    /// Keeps a live session's seat. One lost while its instance stalled past the seat's time (and taken by another session)
    /// is not taken back: the session runs on, the user one over the cap until it ends.
    /// </summary>
    public async Task KeepAsync(SessionEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Seat is { Key: { } key } seat)
        {
            await storage.TryReplaceAsync(key, seat.Holder, seat.Holder, KeptUntil(), cancellationToken);
        }
    }

    /// <summary>Gives a seat back, unless another session took it after it expired. Storage failures are left to the seat's expiry.</summary>
    public async Task GiveBackAsync(SessionSeat? seat)
    {
        if (seat?.Key is not { } key)
        {
            return;
        }

        try
        {
            if (await storage.GetAsync(key, CancellationToken.None) is { } stored && stored.Value.Span.SequenceEqual(seat.Holder))
            {
                await storage.RemoveAsync(key, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // It expires by itself; meanwhile the user has one place fewer.
        }
    }

    private DateTimeOffset KeptUntil() => time.GetUtcNow() + registry.SweepPeriod * 3;

    private static string UserPartition(string subject) => StoredJson.Key("mcp-seats", subject);

    private static string SeatKey(string subject, int seat) => StoredJson.Key("mcp-seat", subject, seat.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>A seat under the per-user cap across instances (<see cref="SessionSeats"/>), or which cap left none.</summary>
internal sealed class SessionSeat(string? key, byte[] holder)
{
    public static readonly SessionSeat PerUserCapReached = new(null, []);
    public static readonly SessionSeat TotalCapReached = new(null, []);

    /// <summary>The seat's storage key; null when none was free.</summary>
    public string? Key { get; } = key;

    /// <summary>What the seat holds while it is this session's: the instance and a value of its own.</summary>
    public byte[] Holder { get; } = holder;

    public bool IsTaken => Key is not null;
}
