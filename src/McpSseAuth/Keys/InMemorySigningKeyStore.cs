namespace McpSseAuth.Keys;

/// <summary>The key ring in memory only (no <see cref="McpOAuthSigningOptions.KeyDirectory"/>): a restart starts a new ring.</summary>
internal sealed class InMemorySigningKeyStore : ISigningKeyStore
{
    private volatile IReadOnlyList<StoredSigningKey> _keys = [];

    public ValueTask<IReadOnlyList<StoredSigningKey>> LoadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_keys);

    public ValueTask SaveAsync(IReadOnlyList<StoredSigningKey> keys, CancellationToken cancellationToken)
    {
        _keys = [.. keys];
        return ValueTask.CompletedTask;
    }
}
