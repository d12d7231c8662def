using System.Globalization;
using McpSseAuth.Storage;
using StackExchange.Redis;

namespace McpSseAuth.Redis;

/// <summary>
/// <see cref="IMcpOAuthStorage"/> in Redis, shared by every instance of the server. Each operation is one Lua script
/// (<see cref="RedisStorageScripts"/>, sent as EVALSHA once Redis knows it) or, for get and count, one command, so it is
/// atomic across instances: of several instances taking one code, exactly one wins. Expiry follows McpSseAuth's <see cref="TimeProvider"/>; Redis deletes an
/// entry itself a minute after that, never before. Unreachable Redis: <see cref="McpStorageUnavailableException"/>.
/// </summary>
internal sealed class RedisOAuthStorage : IMcpOAuthStorage
{
    /// <summary>How long after its expiry Redis keeps an entry: the instances' clocks may differ by that much.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    // Far beyond any real lifetime, well within what PEXPIRE accepts.
    private const double MaxTtlMilliseconds = 1e15;

    private static readonly RedisValue[] EntryFields = ["v", "x", "t"];

    private readonly Func<IConnectionMultiplexer> _connection;
    private readonly string _prefix;
    private readonly TimeProvider _time;

    /// <summary>Storage over <paramref name="connection"/>, with keys under <paramref name="keyPrefix"/>.</summary>
    public RedisOAuthStorage(IConnectionMultiplexer connection, string keyPrefix, TimeProvider time)
        : this(() => connection, keyPrefix, time)
    {
        ArgumentNullException.ThrowIfNull(connection);
    }

    /// <summary>Storage over the multiplexer <paramref name="connection"/> returns, asked at each operation (it may connect on first use).</summary>
    public RedisOAuthStorage(Func<IConnectionMultiplexer> connection, string keyPrefix, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        ArgumentNullException.ThrowIfNull(time);
        _connection = connection;
        _prefix = keyPrefix;
        _time = time;
    }

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () =>
        {
            // One command, so atomic without a script.
            var fields = await Database(cancellationToken).HashGetAsync(EntryKey(key), EntryFields);
            if (fields[0].IsNull || fields[1].IsNull || ReadTime(fields[1]) <= _time.GetUtcNow())
            {
                return null;
            }

            return new McpStoredEntry((byte[])fields[0]!, ReadTime(fields[1]), fields[2].IsNull ? null : ReadTime(fields[2]));
        }, "read");

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () => (long)await PutAsync(RedisStorageScripts.Add, key, value, expiresAt, partition, cancellationToken) == 1, "add");

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () => { await PutAsync(RedisStorageScripts.Set, key, value, expiresAt, partition, cancellationToken); }, "write");

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () =>
        {
            var result = await Database(cancellationToken).ScriptEvaluateAsync(
                RedisStorageScripts.Replace,
                [EntryKey(key)],
                [Now(), expected, value, WriteTime(expiresAt), Ttl(expiresAt), _prefix, key]);
            return (long)result == 1;
        }, "compare-and-swap");

    public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () =>
        {
            var result = (RedisResult[])(await Database(cancellationToken).ScriptEvaluateAsync(
                RedisStorageScripts.Take,
                [EntryKey(key)],
                [Now(), remainder, WriteTime(keepUntil), Ttl(keepUntil), WriteTime(now), _prefix, key]))!;
            var status = (long)result[0] switch
            {
                1 => McpTakeStatus.Taken,
                2 => McpTakeStatus.AlreadyTaken,
                _ => McpTakeStatus.NotFound,
            };
            return status == McpTakeStatus.NotFound
                ? new McpTakeResult(status, null)
                : new McpTakeResult(status, new McpStoredEntry((byte[])result[1]!, ReadTime((string)result[2]!), ReadTime((string)result[3]!)));
        }, "take");

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () =>
        {
            var result = await Database(cancellationToken).ScriptEvaluateAsync(RedisStorageScripts.Remove, [EntryKey(key)], [Now(), _prefix, key]);
            return (long)result == 1;
        }, "remove");

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () =>
        {
            ArgumentNullException.ThrowIfNull(partition);
            var flat = (RedisValue[])(await Database(cancellationToken).ScriptEvaluateAsync(
                RedisStorageScripts.List,
                [PartitionKey(partition)],
                [Now(), _prefix, partition]))!;
            var found = new List<KeyValuePair<string, McpStoredEntry>>(flat.Length / 4);
            for (var i = 0; i + 3 < flat.Length; i += 4)
            {
                var takenAt = flat[i + 3].IsNullOrEmpty ? (DateTimeOffset?)null : ReadTime(flat[i + 3]);
                found.Add(KeyValuePair.Create((string)flat[i]!, new McpStoredEntry((byte[])flat[i + 1]!, ReadTime(flat[i + 2]), takenAt)));
            }

            return (IReadOnlyList<KeyValuePair<string, McpStoredEntry>>)found;
        }, "list");

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken) =>
        RedisFaults.Run(() => Database(cancellationToken).SetLengthAsync(PartitionKey(partition)), "count");

    private Task<RedisResult> PutAsync(string script, string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        RedisValue[] common = [Now(), value, WriteTime(expiresAt), Ttl(expiresAt), _prefix, key];
        return partition is null
            ? Database(cancellationToken).ScriptEvaluateAsync(script, [EntryKey(key)], common)
            : Database(cancellationToken).ScriptEvaluateAsync(script, [EntryKey(key), PartitionKey(partition)], [.. common, partition]);
    }

    // Redis commands cannot be cancelled once sent; a cancelled request sends none. AsyncTimeout bounds the wait.
    private IDatabase Database(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _connection().GetDatabase();
    }

    private RedisKey EntryKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _prefix + "e:" + key;
    }

    private RedisKey PartitionKey(string partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        return _prefix + "p:" + partition;
    }

    private RedisValue Now() => WriteTime(_time.GetUtcNow());

    /// <summary>The physical expiry: a grace after the logical one, relative to McpSseAuth's clock; '' for never.</summary>
    private RedisValue Ttl(DateTimeOffset expiresAt)
    {
        if (expiresAt == DateTimeOffset.MaxValue)
        {
            return "";
        }

        var milliseconds = Math.Ceiling((expiresAt - _time.GetUtcNow() + Grace).TotalMilliseconds);
        return (long)Math.Clamp(milliseconds, 1, MaxTtlMilliseconds);
    }

    // Fixed width, so the scripts can compare them piecewise.
    private static RedisValue WriteTime(DateTimeOffset time) => time.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static DateTimeOffset ReadTime(RedisValue ticks) => new(long.Parse((string)ticks!, NumberStyles.None, CultureInfo.InvariantCulture), TimeSpan.Zero);

    private static DateTimeOffset ReadTime(string ticks) => new(long.Parse(ticks, NumberStyles.None, CultureInfo.InvariantCulture), TimeSpan.Zero);
}
