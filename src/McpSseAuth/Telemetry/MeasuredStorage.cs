using System.Diagnostics;
using McpSseAuth.Storage;

namespace McpSseAuth.Telemetry;

/// <summary>
/// The storage as McpSseAuth's own parts see it: the app's <see cref="IMcpOAuthStorage"/>, each call timed into
/// <c>mcpsseauth.storage.operation.duration</c> (by operation; outcome <c>ok</c>, <c>unavailable</c>, <c>cancelled</c> or
/// <c>error</c>) while that metric is listened to, and passed straight through otherwise. Registered keyed
/// (<see cref="Key"/>), so the app's own registration stays what it registered.
/// </summary>
internal sealed class MeasuredStorage(IMcpOAuthStorage inner, OAuthMetrics metrics) : IMcpOAuthStorage
{
    public const string Key = "McpSseAuth.Measured";

    public IMcpOAuthStorage Inner => inner;

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
        => metrics.MeasuresStorage ? Measure("get", Stopwatch.GetTimestamp(), inner.GetAsync(key, cancellationToken)) : inner.GetAsync(key, cancellationToken);

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => metrics.MeasuresStorage
            ? Measure("try_add", Stopwatch.GetTimestamp(), inner.TryAddAsync(key, value, expiresAt, partition, cancellationToken))
            : inner.TryAddAsync(key, value, expiresAt, partition, cancellationToken);

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => metrics.MeasuresStorage
            ? Measure("set", Stopwatch.GetTimestamp(), inner.SetAsync(key, value, expiresAt, partition, cancellationToken))
            : inner.SetAsync(key, value, expiresAt, partition, cancellationToken);

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => metrics.MeasuresStorage
            ? Measure("try_replace", Stopwatch.GetTimestamp(), inner.TryReplaceAsync(key, expected, value, expiresAt, cancellationToken))
            : inner.TryReplaceAsync(key, expected, value, expiresAt, cancellationToken);

    public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
        => metrics.MeasuresStorage
            ? Measure("try_take", Stopwatch.GetTimestamp(), inner.TryTakeAsync(key, remainder, keepUntil, now, cancellationToken))
            : inner.TryTakeAsync(key, remainder, keepUntil, now, cancellationToken);

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
        => metrics.MeasuresStorage ? Measure("remove", Stopwatch.GetTimestamp(), inner.RemoveAsync(key, cancellationToken)) : inner.RemoveAsync(key, cancellationToken);

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
        => metrics.MeasuresStorage ? Measure("list", Stopwatch.GetTimestamp(), inner.ListAsync(partition, cancellationToken)) : inner.ListAsync(partition, cancellationToken);

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
        => metrics.MeasuresStorage ? Measure("count", Stopwatch.GetTimestamp(), inner.CountAsync(partition, cancellationToken)) : inner.CountAsync(partition, cancellationToken);

    private async ValueTask<T> Measure<T>(string operation, long started, ValueTask<T> call)
    {
        try
        {
            var result = await call;
            metrics.StorageCall(operation, "ok", Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (Exception ex) when (Recorded(operation, started, ex))
        {
            throw;
        }
    }

    private async ValueTask Measure(string operation, long started, ValueTask call)
    {
        try
        {
            await call;
            metrics.StorageCall(operation, "ok", Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (Recorded(operation, started, ex))
        {
            throw;
        }
    }

    /// <summary>Records a failed call; false, so the exception goes on untouched.</summary>
    private bool Recorded(string operation, long started, Exception exception)
    {
        metrics.StorageCall(
            operation,
            exception switch
            {
                McpStorageUnavailableException => "unavailable",
                OperationCanceledException => "cancelled",
                _ => "error",
            },
            Stopwatch.GetElapsedTime(started));
        return false;
    }
}
