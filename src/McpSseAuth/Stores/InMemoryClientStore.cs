using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Stores;

/// <summary>
/// Clients registered at runtime, held for the life of the process, bounded. Registration is open to anyone (RFC 7591 §3),
/// so when the store is full the oldest client that never obtained a grant makes room: a flood of registrations cannot
/// lock out real clients. Stale clients are swept as registrations arrive: one that got no grant within
/// <see cref="McpOAuthOptions.UnusedClientLifetime"/>, or whose last token is older than
/// <see cref="McpOAuthOptions.RefreshTokenLifetime"/> (so none of its grants can still be live) and than that lifetime.
/// </summary>
internal sealed class InMemoryClientStore(IOptions<McpOAuthOptions> options, TimeProvider? time = null) : IClientStore
{
    private readonly ConcurrentDictionary<string, ClientRegistration> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastUsed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _authorizingUntil = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    public ValueTask<ClientRegistration?> FindAsync(string clientId, CancellationToken cancellationToken)
        => ValueTask.FromResult(_clients.TryGetValue(clientId, out var client) ? client : null);

    public ValueTask<bool> TryAddAsync(ClientRegistration client, CancellationToken cancellationToken)
    {
        // Checked and added under one lock: concurrent registrations must not each see room and overshoot the bound.
        lock (_gate)
        {
            SweepStale();
            if (_clients.Count >= options.Value.MaxRegisteredClients && !TryEvictUnused())
            {
                return ValueTask.FromResult(false);
            }

            return ValueTask.FromResult(_clients.TryAdd(client.ClientId, client));
        }
    }

    public ValueTask MarkUsedAsync(string clientId, CancellationToken cancellationToken)
    {
        // Under the same lock as eviction, so a client cannot be evicted between this check and the mark.
        lock (_gate)
        {
            if (_clients.ContainsKey(clientId))
            {
                _lastUsed[clientId] = _time.GetUtcNow();
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask KeepWhileAuthorizingAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_clients.ContainsKey(clientId))
            {
                _authorizingUntil.AddOrUpdate(clientId, until, (_, old) => old > until ? old : until);
            }
        }

        return ValueTask.CompletedTask;
    }

    private bool IsBeingAuthorized(string clientId, DateTimeOffset now)
    {
        if (!_authorizingUntil.TryGetValue(clientId, out var until))
        {
            return false;
        }

        if (until > now)
        {
            return true;
        }

        _authorizingUntil.TryRemove(new KeyValuePair<string, DateTimeOffset>(clientId, until));
        return false;
    }

    private bool TryEvictUnused()
    {
        var now = _time.GetUtcNow();
        var oldest = _clients.Values.Where(c => !_lastUsed.ContainsKey(c.ClientId) && !IsBeingAuthorized(c.ClientId, now)).MinBy(c => c.IssuedAt);
        return oldest is not null && _clients.TryRemove(oldest.ClientId, out _);
    }

    // At most once a minute; linear in the number of clients.
    private void SweepStale()
    {
        var now = _time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now.AddMinutes(1);
        var o = options.Value;
        var keepUsed = o.RefreshTokenLifetime > o.UnusedClientLifetime ? o.RefreshTokenLifetime : o.UnusedClientLifetime;
        foreach (var client in _clients.Values)
        {
            var stale = _lastUsed.TryGetValue(client.ClientId, out var used)
                ? used + keepUsed < now
                : client.IssuedAt + o.UnusedClientLifetime < now;
            if (stale && !IsBeingAuthorized(client.ClientId, now) && _clients.TryRemove(client.ClientId, out _))
            {
                _lastUsed.TryRemove(client.ClientId, out _);
            }
        }
    }
}
