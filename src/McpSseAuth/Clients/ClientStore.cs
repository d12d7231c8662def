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
/// The bound is checked against an approximate count (<see cref="ClientCount"/>). Clients that expire in between still
/// count until the next read (the bound errs on the safe side), and another instance's registrations are seen at the next
/// read, as the bound is approximate across instances anyway.
/// At the bound every registration evicts one client, so the candidates are kept in a queue, oldest first: this
/// instance's registrations as they happen, and, when it runs dry, every unused client listed from the storage at once.
/// A registration then reads one client and removes it, rather than listing them all (which made registrations at the
/// bound about 40 times slower with 10,000 clients).
/// </summary>
internal sealed class ClientStore([Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage, IOptions<McpOAuthOptions> options, TimeProvider? time = null) : IClientStore
{
    private const string Partition = "clients";
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ClientCount _count = new();

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
        // The newcomer is counted before anything is awaited, so registrations arriving together on this instance each see
        // the others and each evicts its own. Across instances the bound may be overshot by a few until the next count:
        // it is a guard against floods, not a quota.
        await RefreshCountAsync(cancellationToken);
        var added = false;
        var counted = _count.StartAdd();
        try
        {
            if (counted > options.Value.Registration.MaxClients && !await TryEvictUnusedAsync(cancellationToken))
            {
                return false;
            }

            var stored = new StoredClient(client, null, null);
            added = await storage.TryAddAsync(Key(client.ClientId), StoredJson.Encode(ClientJson.Default, stored), KeepUntil(stored), Partition, cancellationToken);
        }
        finally
        {
            _count.FinishAdd(added);
        }

        if (added)
        {
            Queue(client);
        }

        return added;
    }

    /// <summary>Every registered client not expired, with its last use (a code or a refresh, to within an hour), for the operator's view.</summary>
    public async ValueTask<IReadOnlyList<StoredClient>> ListAsync(CancellationToken cancellationToken)
        => [.. (await storage.ListAsync(Partition, cancellationToken)).Select(e => StoredJson.Decode<StoredClient>(ClientJson.Default, e.Value.Value))];

    public async ValueTask MarkUsedAsync(string clientId, CancellationToken cancellationToken)
    {
        // Marked at most once an hour: what it decides is counted in days, and a client refreshing many grants at once
        // (on several instances) must not turn each refresh into a write raced by the others. The client as last read
        // (its request read it a moment ago) usually answers that without reading it again; its marks only ever grow.
        var now = _time.GetUtcNow();
        var key = Key(clientId);
        if (Recent(_decoded.LastSeen(key)?.LastUsedAt, now))
        {
            return;
        }

        await StoredJson.UpdateAsync<StoredClient>(ClientJson.Default, storage, key, stored =>
        {
            if (Recent(stored.LastUsedAt, now))
            {
                return null;
            }

            var used = stored with { LastUsedAt = now };
            return (used, KeepUntil(used));
        }, cancellationToken, _decoded);

        static bool Recent(DateTimeOffset? last, DateTimeOffset now) => last is { } at && now - at < TimeSpan.FromHours(1);
    }

    public async ValueTask KeepWhileAuthorizingAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        // Kept a minute longer than asked, so the flows of the next minute find it kept already (the client as last read
        // tells) and cost no write.
        var key = Key(clientId);
        if (_decoded.LastSeen(key)?.AuthorizingUntil >= until)
        {
            return;
        }

        await StoredJson.UpdateAsync<StoredClient>(ClientJson.Default, storage, key, stored =>
        {
            if (stored.AuthorizingUntil >= until)
            {
                return null;
            }

            var kept = stored with { AuthorizingUntil = until + TimeSpan.FromMinutes(1) };
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

    /// <summary>Reads the storage's count of clients when the last one read is older than <see cref="ClientCount.RefreshInterval"/>.</summary>
    private async ValueTask RefreshCountAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_count.TryClaimRead(now))
        {
            var finished = _count.FinishedAdds;
            _count.Set(await storage.CountAsync(Partition, cancellationToken), finished, now);
        }
    }

    private async ValueTask<bool> TryEvictUnusedAsync(CancellationToken cancellationToken)
    {
        if (await TryEvictQueuedAsync(cancellationToken))
        {
            return true;
        }

        var now = _time.GetUtcNow();
        var finished = _count.FinishedAdds;
        var live = await storage.ListAsync(Partition, cancellationToken);
        // An exact count of the live clients: the approximate one starts again from it, and the decision is taken on it.
        _count.Set(live.Count, finished, now);
        if (_count.Current <= options.Value.Registration.MaxClients)
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
    /// Evicts the oldest queued client that is unused now. Each candidate is taken out of the queue by one registration
    /// while it looks at it, so registrations arriving together each evict another one, and each newcomer finds room while
    /// any unused client is left. A client in a flow goes back to the queue for later; one that obtained a grant stays out;
    /// one found gone (expired, or removed by another instance) was still counted, so it makes the room itself.
    /// </summary>
    private async ValueTask<bool> TryEvictQueuedAsync(CancellationToken cancellationToken)
    {
        (long IssuedAt, string ClientId)? after = null;
        while (TakeQueued(after) is { } candidate)
        {
            after = candidate;
            var key = Key(candidate.ClientId);
            var generation = _count.Generation;
            if (_decoded.Decode(key, await storage.GetAsync(key, cancellationToken)) is not { } stored)
            {
                if (_count.Uncount(generation) <= options.Value.Registration.MaxClients)
                {
                    return true;
                }
            }
            else if (IsEvictable(stored, _time.GetUtcNow()))
            {
                if (await storage.RemoveAsync(key, cancellationToken))
                {
                    _count.Uncount(generation);
                    return true;
                }
            }
            else if (stored.LastUsedAt is null)
            {
                Queue(stored.Client);
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

    /// <summary>Takes the oldest queued client after <paramref name="after"/> (any when null) out of the queue.</summary>
    private (long IssuedAt, string ClientId)? TakeQueued((long IssuedAt, string ClientId)? after)
    {
        lock (_evictable)
        {
            (long IssuedAt, string ClientId)? next = null;
            if (after is not { } last)
            {
                next = _evictable.Count == 0 ? null : _evictable.Min;
            }
            else if (_evictable.Count > 0 && OldestFirst.Instance.Compare(last, _evictable.Max) < 0)
            {
                next = _evictable.GetViewBetween(last, _evictable.Max).Where(c => OldestFirst.Instance.Compare(c, last) > 0).Select(c => ((long, string)?)c).FirstOrDefault();
            }

            if (next is { } taken)
            {
                _evictable.Remove(taken);
            }

            return next;
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
