using McpSseAuth.Storage;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// A real storage with one broken call on demand: <see cref="Arm"/> makes the n-th call from then on fail with
/// <see cref="McpStorageUnavailableException"/>, as a connection killed at that moment would — before the call reached the
/// storage, or after it was carried out with its answer lost. Every other call goes through.
/// </summary>
internal sealed class FaultInjectingStorage(IMcpOAuthStorage inner) : IMcpOAuthStorage
{
    private int _countdown;
    private bool _afterApplying;

    /// <summary>The <paramref name="call"/>-th call from now fails once; with <paramref name="afterApplying"/>, after it took effect.</summary>
    public void Arm(int call, bool afterApplying)
    {
        _afterApplying = afterApplying;
        Volatile.Write(ref _countdown, call);
    }

    /// <summary>True once the armed call failed.</summary>
    public bool Fired => _fired;

    private bool _fired;

    private async ValueTask<T> CallAsync<T>(Func<ValueTask<T>> call)
    {
        if (Volatile.Read(ref _countdown) <= 0 || Interlocked.Decrement(ref _countdown) != 0)
        {
            return await call();
        }

        _fired = true;
        if (_afterApplying)
        {
            await call();
        }

        throw new McpStorageUnavailableException("The test killed the storage connection.");
    }

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
        => CallAsync(() => inner.GetAsync(key, cancellationToken));

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => CallAsync(() => inner.TryAddAsync(key, value, expiresAt, partition, cancellationToken));

    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => await CallAsync(async () =>
        {
            await inner.SetAsync(key, value, expiresAt, partition, cancellationToken);
            return true;
        });

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => CallAsync(() => inner.TryReplaceAsync(key, expected, value, expiresAt, cancellationToken));

    public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
        => CallAsync(() => inner.TryTakeAsync(key, remainder, keepUntil, now, cancellationToken));

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
        => CallAsync(() => inner.RemoveAsync(key, cancellationToken));

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
        => CallAsync(() => inner.ListAsync(partition, cancellationToken));

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
        => CallAsync(() => inner.CountAsync(partition, cancellationToken));
}
