namespace McpSseAuth.Storage;

/// <summary>
/// The default <see cref="IMcpOAuthStorage"/>: everything in this process, gone on restart. For tests, development and
/// single-instance servers that accept signing everyone out on a restart. Expired entries are swept once a minute at most,
/// as writes arrive. Writes hold one lock (each is atomic with respect to the others); reads of a key take none (entries
/// are immutable, so a read sees one whole entry, before or after a write).
/// </summary>
internal sealed class InMemoryOAuthStorage(TimeProvider time) : IMcpOAuthStorage
{
    private sealed record Item(byte[] Value, DateTimeOffset ExpiresAt, DateTimeOffset? TakenAt, string? Partition);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Item> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _partitions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
        => ValueTask.FromResult(Live(key, time.GetUtcNow()) is { } item ? Entry(item) : null);

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            Sweep(now);
            if (Live(key, now) is not null)
            {
                return ValueTask.FromResult(false);
            }

            Put(key, new Item(value.ToArray(), expiresAt, null, partition));
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Sweep(time.GetUtcNow());
            Put(key, new Item(value.ToArray(), expiresAt, null, partition));
            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Live(key, time.GetUtcNow()) is not { } item || !item.Value.AsSpan().SequenceEqual(expected.Span))
            {
                return ValueTask.FromResult(false);
            }

            _items[key] = item with { Value = value.ToArray(), ExpiresAt = expiresAt };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Live(key, time.GetUtcNow()) is not { } item)
            {
                return ValueTask.FromResult(new McpTakeResult(McpTakeStatus.NotFound, null));
            }

            if (item.TakenAt is not null)
            {
                return ValueTask.FromResult(new McpTakeResult(McpTakeStatus.AlreadyTaken, Entry(item)));
            }

            _items[key] = item with { Value = remainder.ToArray(), ExpiresAt = keepUntil, TakenAt = now };
            return ValueTask.FromResult(new McpTakeResult(McpTakeStatus.Taken, new McpStoredEntry(item.Value, item.ExpiresAt, now)));
        }
    }

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var live = Live(key, time.GetUtcNow()) is not null;
            Drop(key);
            return ValueTask.FromResult(live);
        }
    }

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            IReadOnlyList<KeyValuePair<string, McpStoredEntry>> found = _partitions.TryGetValue(partition, out var keys)
                ? [.. keys.Select(k => (Key: k, Item: Live(k, now))).Where(x => x.Item is not null).Select(x => KeyValuePair.Create(x.Key, Entry(x.Item!)))]
                : [];
            return ValueTask.FromResult(found);
        }
    }

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<long>(_partitions.TryGetValue(partition, out var keys) ? keys.Count : 0);
        }
    }

    private static McpStoredEntry Entry(Item item) => new(item.Value, item.ExpiresAt, item.TakenAt);

    private Item? Live(string key, DateTimeOffset now) => _items.TryGetValue(key, out var item) && item.ExpiresAt > now ? item : null;

    private void Put(string key, Item item)
    {
        Drop(key);
        _items[key] = item;
        if (item.Partition is { } partition)
        {
            if (!_partitions.TryGetValue(partition, out var keys))
            {
                _partitions[partition] = keys = new HashSet<string>(StringComparer.Ordinal);
            }

            keys.Add(key);
        }
    }

    private void Drop(string key)
    {
        if (_items.TryRemove(key, out var old) && old.Partition is { } partition && _partitions.TryGetValue(partition, out var keys))
        {
            keys.Remove(key);
            if (keys.Count == 0)
            {
                _partitions.Remove(partition);
            }
        }
    }

    // Linear in the number of entries, so at most once a minute.
    private void Sweep(DateTimeOffset now)
    {
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now.AddMinutes(1);
        foreach (var key in _items.Where(p => p.Value.ExpiresAt <= now).Select(p => p.Key).ToList())
        {
            Drop(key);
        }
    }
}
