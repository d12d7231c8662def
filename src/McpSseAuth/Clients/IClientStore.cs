namespace McpSseAuth.Clients;

/// <summary>Registered clients.</summary>
internal interface IClientStore
{
    ValueTask<ClientRegistration?> FindAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Adds a client; false when the store is full.</summary>
    ValueTask<bool> TryAddAsync(ClientRegistration client, CancellationToken cancellationToken);

    /// <summary>Notes that the client obtained a grant: it is no longer a candidate for eviction.</summary>
    ValueTask MarkUsedAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>
    /// A user is on the client's consent page: keep it (from eviction and the stale sweep) until <paramref name="until"/>,
    /// when the pending request expires. This does not count as use.
    /// </summary>
    ValueTask KeepWhileAuthorizingAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken);
}
