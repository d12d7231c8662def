using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Stores;

/// <summary>Clients held for the life of the process, bounded so registration cannot exhaust memory.</summary>
internal sealed class InMemoryClientStore(IOptions<McpOAuthOptions> options) : IClientStore
{
    private readonly ConcurrentDictionary<string, ClientRegistration> _clients = new(StringComparer.Ordinal);

    public ValueTask<ClientRegistration?> FindAsync(string clientId, CancellationToken cancellationToken)
        => ValueTask.FromResult(_clients.TryGetValue(clientId, out var client) ? client : null);

    public ValueTask<bool> TryAddAsync(ClientRegistration client, CancellationToken cancellationToken)
    {
        if (_clients.Count >= options.Value.MaxRegisteredClients)
        {
            return ValueTask.FromResult(false);
        }

        return ValueTask.FromResult(_clients.TryAdd(client.ClientId, client));
    }
}
