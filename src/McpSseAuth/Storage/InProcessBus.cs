using System.Collections.Concurrent;

namespace McpSseAuth.Storage;

/// <summary>The default <see cref="IMcpOAuthBus"/>: one instance, so messages go to this process's subscribers only.</summary>
internal sealed class InProcessBus : IMcpOAuthBus
{
    private readonly ConcurrentDictionary<string, ImmutableHandlers> _channels = new(StringComparer.Ordinal);

    private sealed record ImmutableHandlers(Func<ReadOnlyMemory<byte>, ValueTask>[] Handlers);

    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public async ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (!_channels.TryGetValue(channel, out var subscribers))
        {
            return;
        }

        foreach (var handler in subscribers.Handlers)
        {
            try
            {
                await handler(message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // At most once, to each subscriber: one failing handler loses its message, not the others'.
            }
        }
    }

    public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler, CancellationToken cancellationToken)
    {
        _channels.AddOrUpdate(channel, _ => new([handler]), (_, old) => new([.. old.Handlers, handler]));
        return ValueTask.FromResult<IAsyncDisposable>(new Subscription(this, channel, handler));
    }

    private sealed class Subscription(InProcessBus bus, string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            bus._channels.AddOrUpdate(channel, _ => new([]), (_, old) => new([.. old.Handlers.Where(h => h != handler)]));
            return ValueTask.CompletedTask;
        }
    }
}
