namespace McpSseAuth.Tests.Unit;

/// <summary>A storage that counts the calls to some of its operations.</summary>
internal sealed class CountingStorage(McpSseAuth.Storage.IMcpOAuthStorage inner) : McpSseAuth.Storage.IMcpOAuthStorage
{
    private int _counts;
    private int _lists;
    private int _gets;
    private int _replaces;

    public int Counts => Volatile.Read(ref _counts);

    public int Lists => Volatile.Read(ref _lists);

    public int Gets => Volatile.Read(ref _gets);

    /// <summary>Compare-and-swap calls, whether they swapped or not.</summary>
    public int Replaces => Volatile.Read(ref _replaces);

    public ValueTask<McpSseAuth.Storage.McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _gets);
        return inner.GetAsync(key, cancellationToken);
    }

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => inner.TryAddAsync(key, value, expiresAt, partition, cancellationToken);

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => inner.SetAsync(key, value, expiresAt, partition, cancellationToken);

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _replaces);
        return inner.TryReplaceAsync(key, expected, value, expiresAt, cancellationToken);
    }

    public ValueTask<McpSseAuth.Storage.McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
        => inner.TryTakeAsync(key, remainder, keepUntil, now, cancellationToken);

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken) => inner.RemoveAsync(key, cancellationToken);

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpSseAuth.Storage.McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lists);
        return inner.ListAsync(partition, cancellationToken);
    }

    /// <summary>When set, a count is read at once and answered only when this task ends, as a slow storage would.</summary>
    public Task? CountAnsweredAfter { get; set; }

    /// <summary>
    /// Ends when the storage beneath has answered the latest count (a storage with its own threads answers later than the
    /// call): what the count holds is then fixed, whenever <see cref="CountAnsweredAfter"/> lets it be returned.
    /// </summary>
    public Task CountRead => _countRead.Task;

    private TaskCompletionSource _countRead = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _counts);
        var read = _countRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = await inner.CountAsync(partition, cancellationToken);
        read.TrySetResult();
        if (CountAnsweredAfter is { } answered)
        {
            await answered;
        }

        return count;
    }
}
