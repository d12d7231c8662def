using McpSseAuth.Storage;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Clients;

/// <summary>
/// Clients registered at runtime, in <see cref="IMcpOAuthStorage"/>, bounded by <see cref="McpOAuthRegistrationOptions.MaxClients"/>.
/// Each is kept while it can matter: <see cref="McpOAuthRegistrationOptions.UnusedClientLifetime"/> after registration until it obtains
/// a grant, then <see cref="McpOAuthTokenOptions.RefreshTokenLifetime"/> plus that after its last token (so none of its grants
/// can outlive it), and never while a flow of it is in progress. Registration is open to anyone (RFC 7591 §3),
/// so when the store is full the oldest client that never obtained a grant makes room: a flood of registrations cannot
/// lock out real clients.
/// The bound is checked against an approximate count: the storage's count, read at most every
/// <see cref="CountRefreshInterval"/> (a count can scan every client row), plus this instance's registrations since.
/// Clients that expire in between still count until the next read (the bound errs on the safe side), and another
/// instance's registrations are seen at the next read, as the bound is approximate across instances anyway.
/// At the bound every registration evicts one client, so the candidates are kept in a queue, oldest first: this
/// instance's registrations as they happen, and, when it runs dry, every unused client listed from the storage at once.
/// A registration then reads one client and removes it, rather than listing them all (which made registrations at the
/// bound about 40 times slower with 10,000 clients).
/// </summary>
internal sealed class ClientStore(IMcpOAuthStorage storage, IOptions<McpOAuthOptions> options, TimeProvider? time = null) : IClientStore
{
    /// <summary>How long a count of the clients read from the storage is used, with this instance's registrations added.</summary>
    public static readonly TimeSpan CountRefreshInterval = TimeSpan.FromSeconds(5);

    private const string Partition = "clients";
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _countGate = new();
    private long _count;
    private DateTimeOffset _countedUntil = DateTimeOffset.MinValue;

    // A client is read on each of its requests, and again to note its use: decoded once while it does not change.
    private readonly DecodedEntries<StoredClient> _decoded = new(ClientJson.Default);

    // Clients that may be unused, oldest first; each is read again before it is evicted. At most MaxClients entries.
    private readonly SortedSet<(long IssuedAt, string ClientId)> _evictable = new(OldestFirst.Instance);

    public async ValueTask<ClientRegistration?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        var key = Key(clientId);
        return _decoded.Decode(key, await storage.GetAsync(key, cancellationToken))?.Client;
    }

    public async ValueTask<bool> TryAddAsync(ClientRegistration client, CancellationToken cancellationToken)
    {
        // Concurrent registrations (on several instances) may each see room and overshoot the bound by a few: it is a
        // guard against floods, not a quota.
        if (await CountAsync(cancellationToken) >= options.Value.Registration.MaxClients && !await TryEvictUnusedAsync(cancellationToken))
        {
            return false;
        }

        var stored = new StoredClient(client, null, null);
        if (!await storage.TryAddAsync(Key(client.ClientId), StoredJson.Encode(ClientJson.Default, stored), KeepUntil(stored), Partition, cancellationToken))
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        Queue(client);
        return true;
    }

    public async ValueTask MarkUsedAsync(string clientId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await StoredJson.UpdateAsync<StoredClient>(ClientJson.Default, storage, Key(clientId), stored =>
        {
            // Marked at most once an hour: what it decides is counted in days, and a client refreshing many grants at once
            // (on several instances) must not turn each refresh into a write raced by the others.
            if (stored.LastUsedAt is { } last && now - last < TimeSpan.FromHours(1))
            {
                return null;
            }

            var used = stored with { LastUsedAt = now };
            return (used, KeepUntil(used));
        }, cancellationToken, _decoded);
    }

    public async ValueTask KeepWhileAuthorizingAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await StoredJson.UpdateAsync<StoredClient>(ClientJson.Default, storage, Key(clientId), stored =>
        {
            if (stored.AuthorizingUntil >= until)
            {
                return null;
            }

            var kept = stored with { AuthorizingUntil = until };
            return (kept, KeepUntil(kept));
        }, cancellationToken, _decoded);
    }

    private DateTimeOffset KeepUntil(StoredClient stored)
    {
        var o = options.Value;
        // After its last token: as long as that token's refresh token can live, and the unused lifetime more, so a client
        // presenting an expired refresh token is told invalid_grant (authorize again), not invalid_client (register again).
        var until = stored.LastUsedAt is { } used ? used + o.Tokens.RefreshTokenLifetime + o.Registration.UnusedClientLifetime : stored.Client.IssuedAt + o.Registration.UnusedClientLifetime;
        return stored.AuthorizingUntil is { } authorizing && authorizing > until ? authorizing : until;
    }

    /// <summary>The storage's count of clients when the last one read is older than <see cref="CountRefreshInterval"/>, else that count plus this instance's registrations since.</summary>
    private async ValueTask<long> CountAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_countGate)
        {
            if (now < _countedUntil)
            {
                return _count;
            }
        }

        var counted = await storage.CountAsync(Partition, cancellationToken);
        SetCount(counted, now);
        return counted;
    }

    private void SetCount(long count, DateTimeOffset countedAt)
    {
        lock (_countGate)
        {
            _count = count;
            _countedUntil = countedAt + CountRefreshInterval;
        }
    }

    private async ValueTask<bool> TryEvictUnusedAsync(CancellationToken cancellationToken)
    {
        if (await TryEvictQueuedAsync(cancellationToken))
        {
            return true;
        }

        var now = _time.GetUtcNow();
        var live = await storage.ListAsync(Partition, cancellationToken);
        // An exact count of the live clients: the approximate one starts again from it.
        SetCount(live.Count, now);
        if (live.Count < options.Value.Registration.MaxClients)
        {
            return true;   // the count included clients that expired and are not removed yet: there is room
        }

        foreach (var stored in live.Select(e => StoredJson.Decode<StoredClient>(ClientJson.Default, e.Value.Value)).Where(s => s.LastUsedAt is null))
        {
            Queue(stored.Client);
        }

        return await TryEvictQueuedAsync(cancellationToken);
    }

    /// <summary>
    /// Evicts the oldest queued client that is unused now. Registrations arriving together each end up with another one (the
    /// storage removes a client once), so each newcomer finds room while any unused client is left. A client in a flow stays
    /// queued for later; one that obtained a grant leaves the queue; one found gone (expired, or removed elsewhere) was still
    /// counted, so it makes the room itself.
    /// </summary>
    private async ValueTask<bool> TryEvictQueuedAsync(CancellationToken cancellationToken)
    {
        (long IssuedAt, string ClientId)? after = null;
        while (NextQueued(after) is { } candidate)
        {
            after = candidate;
            var key = Key(candidate.ClientId);
            if (_decoded.Decode(key, await storage.GetAsync(key, cancellationToken)) is not { } stored)
            {
                Dequeue(candidate);
                if (Interlocked.Decrement(ref _count) < options.Value.Registration.MaxClients)
                {
                    return true;
                }
            }
            else if (stored.LastUsedAt is not null)
            {
                Dequeue(candidate);
            }
            else if (IsEvictable(stored, _time.GetUtcNow()))
            {
                Dequeue(candidate);
                if (await storage.RemoveAsync(key, cancellationToken))
                {
                    Interlocked.Decrement(ref _count);
                    return true;
                }
            }
        }

        return false;
    }

    private void Queue(ClientRegistration client)
    {
        lock (_evictable)
        {
            if (_evictable.Count < options.Value.Registration.MaxClients)
            {
                _evictable.Add((client.IssuedAt.UtcTicks, client.ClientId));
            }
        }
    }

    private void Dequeue((long IssuedAt, string ClientId) candidate)
    {
        lock (_evictable)
        {
            _evictable.Remove(candidate);
        }
    }

    /// <summary>The oldest queued client after <paramref name="after"/> (all of them when null).</summary>
    private (long IssuedAt, string ClientId)? NextQueued((long IssuedAt, string ClientId)? after)
    {
        lock (_evictable)
        {
            if (_evictable.Count == 0)
            {
                return null;
            }

            if (after is not { } last)
            {
                return _evictable.Min;
            }

            var max = _evictable.Max;
            return OldestFirst.Instance.Compare(last, max) >= 0 ? null
                : _evictable.GetViewBetween(last, max).Where(c => OldestFirst.Instance.Compare(c, last) > 0).Select(c => ((long, string)?)c).FirstOrDefault();
        }
    }

    private static bool IsEvictable(StoredClient stored, DateTimeOffset now) => stored.LastUsedAt is null && !(stored.AuthorizingUntil > now);

    private static string Key(string clientId) => StoredJson.Key("client", clientId);

    private sealed class OldestFirst : IComparer<(long IssuedAt, string ClientId)>
    {
        public static readonly OldestFirst Instance = new();

        public int Compare((long IssuedAt, string ClientId) x, (long IssuedAt, string ClientId) y)
            => x.IssuedAt != y.IssuedAt ? x.IssuedAt.CompareTo(y.IssuedAt) : string.CompareOrdinal(x.ClientId, y.ClientId);
    }
}
