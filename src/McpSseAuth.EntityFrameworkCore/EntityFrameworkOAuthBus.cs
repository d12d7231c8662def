using System.Collections.Concurrent;
using McpSseAuth.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.EntityFrameworkCore;

/// <summary>
/// <see cref="IMcpOAuthBus"/> through the database, for instances that share nothing else: a message is a row of the
/// messages' table, delivered to this instance's own subscribers at once and to the other instances when they next read
/// the table (every <see cref="McpEntityFrameworkCoreOptions.BusPollInterval"/>, while anything here subscribes). Rows are
/// read by increasing id from a floor that trails the newest by two seconds of the senders' time, so a row whose
/// transaction committed after a later one's is still seen; what was delivered is remembered by id. At most once, like
/// every bus: a message older than a minute is deleted unread.
/// </summary>
internal sealed partial class EntityFrameworkOAuthBus : IMcpOAuthBus, IAsyncDisposable
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(1);
    private const long LateCommitMs = 2_000;

    private readonly ContextSource _contexts;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Func<ReadOnlyMemory<byte>, ValueTask>[]> _channels = new(StringComparer.Ordinal);
    private readonly HashSet<long> _delivered = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _polling;
    private long? _floor;
    private long _lastCleanup;

    public EntityFrameworkOAuthBus(ContextSource contexts, TimeProvider time, TimeSpan interval, ILogger logger)
    {
        _contexts = contexts;
        _time = time;
        _interval = interval;
        _logger = logger;
    }

    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public async ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var payload = message.ToArray();
        await _contexts.RunAsync(async db =>
        {
            db.Set<StoredMessage>().Add(new StoredMessage { Channel = channel, Sender = InstanceId, Payload = payload, SentAt = _time.GetUtcNow().ToUnixTimeMilliseconds() });
            return await db.SaveChangesAsync(cancellationToken);
        }, cancellationToken);
        await DeliverAsync(channel, payload);
    }

    public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler, CancellationToken cancellationToken)
    {
        _channels.AddOrUpdate(channel, _ => [handler], (_, old) => [.. old, handler]);
        lock (_gate)
        {
            _polling ??= Task.Run(() => PollAsync(_stopping.Token), CancellationToken.None);
        }

        return ValueTask.FromResult<IAsyncDisposable>(new Subscription(this, channel, handler));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_polling is { } polling)
        {
            await polling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private async Task PollAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        var failing = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await ReadAsync(stopping);
                failing = false;
                await timer.WaitForNextTickAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (McpStorageUnavailableException e)
            {
                if (!failing)
                {
                    // Said once until it reads again.
                    BusUnavailable(_logger, e);
                }

                failing = true;
                await ((Task)timer.WaitForNextTickAsync(stopping).AsTask()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One read of the table: the other instances' messages since the floor, each delivered once; then the floor moved up.</summary>
    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var floor = _floor ??= await _contexts.RunAsync(db => db.Set<StoredMessage>().Select(m => (long?)m.Id).MaxAsync(cancellationToken), cancellationToken) ?? 0;
        var rows = await _contexts.RunAsync(db => db.Set<StoredMessage>().AsNoTracking().Where(m => m.Id > floor).OrderBy(m => m.Id).ToListAsync(cancellationToken), cancellationToken);
        foreach (var row in rows)
        {
            if (row.Sender != InstanceId && _delivered.Add(row.Id))
            {
                await DeliverAsync(row.Channel, row.Payload);
            }
        }

        if (rows.Count > 0)
        {
            // Rows two seconds older than the newest are settled: any transaction that would add one below them committed.
            var settled = rows[^1].SentAt - LateCommitMs;
            _floor = Math.Max(floor, rows.Where(r => r.SentAt <= settled).Select(r => r.Id).DefaultIfEmpty(floor).Max());
            _delivered.RemoveWhere(id => id <= _floor);
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - _lastCleanup > Keep.TotalMilliseconds)
        {
            _lastCleanup = now;
            var old = now - (long)Keep.TotalMilliseconds;
            await _contexts.RunAsync(db => db.Set<StoredMessage>().Where(m => m.SentAt < old).ExecuteDeleteAsync(cancellationToken), cancellationToken);
        }
    }

    private async Task DeliverAsync(string channel, byte[] payload)
    {
        if (!_channels.TryGetValue(channel, out var handlers))
        {
            return;
        }

        foreach (var handler in handlers)
        {
            try
            {
                await handler(payload);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // At most once, to each subscriber: one failing handler loses its message, not the others'.
            }
        }
    }

    [LoggerMessage(3001, LogLevel.Warning, "The messages of the other instances cannot be read from the database; reading again every poll.", EventName = "DatabaseBusUnavailable")]
    private static partial void BusUnavailable(ILogger logger, Exception exception);

    private sealed class Subscription(EntityFrameworkOAuthBus bus, string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            bus._channels.AddOrUpdate(channel, _ => [], (_, old) => [.. old.Where(h => h != handler)]);
            return ValueTask.CompletedTask;
        }
    }
}
