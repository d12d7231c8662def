using McpSseAuth.Storage;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>The in-memory storage, unreachable while <see cref="Down"/>.</summary>
internal sealed class SwitchableStorage : IMcpOAuthStorage
{
    private readonly InMemoryOAuthStorage _inner = new(TimeProvider.System);

    public volatile bool Down;

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new McpStorageUnavailableException("The test storage is down.");
        }
    }

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.GetAsync(key, cancellationToken);
    }

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.TryAddAsync(key, value, expiresAt, partition, cancellationToken);
    }

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.SetAsync(key, value, expiresAt, partition, cancellationToken);
    }

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.TryReplaceAsync(key, expected, value, expiresAt, cancellationToken);
    }

    public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.TryTakeAsync(key, remainder, keepUntil, now, cancellationToken);
    }

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.RemoveAsync(key, cancellationToken);
    }

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.ListAsync(partition, cancellationToken);
    }

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return _inner.CountAsync(partition, cancellationToken);
    }
}
