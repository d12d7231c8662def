using System.Text.Json;
using McpSseAuth.Grants;
using McpSseAuth.Storage;
using Microsoft.Extensions.Caching.Memory;

namespace McpSseAuth.Sessions;

/// <summary>
/// The session directory across instances: each instance lists its sessions — legacy SSE streams and Streamable HTTP
/// sessions — in the storage with the session's user and client, so an instance that receives a request for a session it
/// does not hold can find the holder.
/// Its upkeep re-lists this instance's sessions and ends any whose grant was revoked while a published revocation was lost.
/// Off with a single instance (the in-process bus).
/// </summary>
internal sealed class SessionDirectory([Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage, IMcpOAuthBus bus, McpSessionRegistry registry, SessionSeats seats, IGrantRevocations revocations, TimeProvider time) : IDisposable
{
    // Where sessions held elsewhere are, as found: a session never moves, and one that ended or whose holder died is
    // answered 404 by the relay either way. Saves a storage read on each relayed request; bounded, each entry small.
    private readonly MemoryCache _found = new(new MemoryCacheOptions { SizeLimit = 100_000 });
    private static readonly TimeSpan RememberedFor = TimeSpan.FromMinutes(1);

    /// <summary>The storage partition of every instance's listings: counted for the server-wide cap (<see cref="SessionSeats"/>).</summary>
    public const string Partition = "mcp-sessions";

    /// <summary>True when instances share a bus: sessions are listed, and messages relayed.</summary>
    public bool Enabled { get; } = bus is not InProcessBus;

    /// <summary>Lists a session of this instance in the directory, for the others to find.</summary>
    public async ValueTask ListAsync(SessionEntry entry, CancellationToken cancellationToken)
    {
        if (Enabled)
        {
            await storage.SetAsync(Key(entry.Info.SessionId), Encode(new SessionHolder(bus.InstanceId, entry.Info.Subject, entry.Info.ClientId, entry.Info.Transport)), ListedUntil(), Partition, cancellationToken);
        }
    }

    /// <summary>Removes an ended session from the directory (it also expires by itself if this instance dies).</summary>
    public async ValueTask UnlistAsync(SessionEntry entry)
    {
        if (Enabled)
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
    public async Task<(SessionEntry? Local, SessionHolder? Remote)> LocateAsync(string sessionId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            if (registry.Find(sessionId) is { } local)
            {
                return (local, null);
            }

            if (_found.TryGetValue(sessionId, out SessionHolder? found) && found is not null)
            {
                return (null, found);
            }

            if (await storage.GetAsync(Key(sessionId), cancellationToken) is { } listed
                && JsonSerializer.Deserialize(listed.Value.Span, RelayJsonContext.Default.SessionHolder) is { } holder
                && holder.Instance != bus.InstanceId)
            {
                _found.Set(sessionId, holder, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = RememberedFor });
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

    /// <summary>Keeps this instance's sessions listed and their seats kept; ends those whose grant was revoked. Throws what the storage throws.</summary>
    public async Task UpkeepAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in registry.Entries.ToList())
        {
            if (entry.Info.GrantId is { } grantId && await revocations.IsRevokedAsync(grantId, cancellationToken))
            {
                registry.EndRevoked(entry);
                continue;
            }

            await ListAsync(entry, cancellationToken);
            await seats.KeepAsync(entry, cancellationToken);
        }
    }

    private DateTimeOffset ListedUntil()
    {
        // Refreshed by the upkeep a few times per idle timeout; gone by itself a little after this instance stops.
        return time.GetUtcNow() + registry.SweepPeriod * 3;
    }

    private static byte[] Encode(SessionHolder holder) => JsonSerializer.SerializeToUtf8Bytes(holder, RelayJsonContext.Default.SessionHolder);

    private static string Key(string sessionId) => StoredJson.Key("mcp-session", sessionId);

    public void Dispose() => _found.Dispose();
}
