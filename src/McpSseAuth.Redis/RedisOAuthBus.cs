using McpSseAuth.Storage;
using StackExchange.Redis;

namespace McpSseAuth.Redis;

/// <summary>
/// <see cref="IMcpOAuthBus"/> over Redis pub/sub, channels <c>{prefix}bus:{channel}</c>: every subscribed instance gets each
/// message, this one included. At most once: a message published while an instance is disconnected is lost to it.
/// StackExchange.Redis subscribes again by itself when Redis comes back. Each subscription gets its messages one at a time,
/// in the order they were published (a legacy SSE session's requests must not overtake each other); a handler that throws
/// loses that message only.
/// </summary>
internal sealed class RedisOAuthBus : IMcpOAuthBus
{
    private readonly Func<IConnectionMultiplexer> _connection;
    private readonly string _prefix;

    /// <summary>A bus over <paramref name="connection"/>, channels under <paramref name="keyPrefix"/>.</summary>
    public RedisOAuthBus(IConnectionMultiplexer connection, string keyPrefix)
        : this(() => connection, keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(connection);
    }

    /// <summary>A bus over the multiplexer <paramref name="connection"/> returns, asked at each call (it may connect on first use).</summary>
    public RedisOAuthBus(Func<IConnectionMultiplexer> connection, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _connection = connection;
        _prefix = keyPrefix;
    }

    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        RedisFaults.Run(async () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _connection().GetSubscriber().PublishAsync(Channel(channel), message);
        }, "publish");

    public async ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        cancellationToken.ThrowIfCancellationRequested();
        var name = Channel(channel);
        ChannelMessageQueue? queue = null;
        try
        {
            var subscriber = _connection().GetSubscriber();

            // A queue, not a callback: StackExchange.Redis runs callbacks on the thread pool in no particular order. Fire and
            // forget, so the queue is ours even when Redis is down and we can take it back below.
            queue = subscriber.Subscribe(name, CommandFlags.FireAndForget);

            // Sent on the subscription's own connection after the SUBSCRIBE: its answer means Redis has the subscription.
            await subscriber.PingAsync();
        }
        catch (Exception e) when (RedisFaults.IsUnavailable(e))
        {
            // Taken back, or it would come alive on reconnect next to the one the caller makes when it tries again.
            if (queue is not null)
            {
                await Subscription.EndAsync(queue);
            }

            throw RedisFaults.Unavailable("subscribe", e);
        }

        // Handled one at a time, in the order published.
        queue.OnMessage(async message =>
        {
            try
            {
                await handler((byte[]?)message.Message ?? []);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // At most once: a failing handler loses this message, not the subscription.
            }
        });
        return new Subscription(queue);
    }

    private RedisChannel Channel(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return RedisChannel.Literal(_prefix + "bus:" + channel);
    }

    private sealed class Subscription(ChannelMessageQueue queue) : IAsyncDisposable
    {
        private int _ended;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _ended, 1) == 0 ? EndAsync(queue) : ValueTask.CompletedTask;

        public static async ValueTask EndAsync(ChannelMessageQueue queue)
        {
            try
            {
                // Forgotten locally at once; only the UNSUBSCRIBE can fail, and a lost connection ended it anyway.
                await queue.UnsubscribeAsync(CommandFlags.FireAndForget);
            }
            catch (Exception e) when (RedisFaults.IsUnavailable(e) || e is ObjectDisposedException)
            {
                // the connection is gone, and its subscriptions with it
            }
        }
    }
}
