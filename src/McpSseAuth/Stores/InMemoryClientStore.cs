using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Stores;

/// <summary>
/// Clients held for the life of the process, bounded. Registration is open to anyone (RFC 7591 §3), so when the store is
/// full the oldest client that never obtained a grant makes room: a flood of registrations cannot lock out real clients.
/// </summary>
internal sealed class InMemoryClientStore(IOptions<McpOAuthOptions> options) : IClientStore
{
    private readonly ConcurrentDictionary<string, ClientRegistration> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _used = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ValueTask<ClientRegistration?> FindAsync(string clientId, CancellationToken cancellationToken)
        => ValueTask.FromResult(_clients.TryGetValue(clientId, out var client) ? client : null);

    public ValueTask<bool> TryAddAsync(ClientRegistration client, CancellationToken cancellationToken)
    {
        // Checked and added under one lock: concurrent registrations must not each see room and overshoot the bound.
        lock (_gate)
        {
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
                _used[clientId] = true;
            }
        }

        return ValueTask.CompletedTask;
    }

    private bool TryEvictUnused()
    {
        var oldest = _clients.Values.Where(c => !_used.ContainsKey(c.ClientId)).MinBy(c => c.IssuedAt);
        return oldest is not null && _clients.TryRemove(oldest.ClientId, out _);
    }
}
