using McpSseAuth.Storage;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Sessions;

/// <summary>
/// A relay's subscription to its instance's own channel on <see cref="IMcpOAuthBus"/>: tried again until it holds (a bus
/// that is unreachable or refuses the channel is logged, never the host's end); a request waits briefly for it.
/// </summary>
internal sealed class RelayChannel(IMcpOAuthBus bus, TimeProvider time, ILogger logger)
{
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Subscribes <paramref name="handler"/> to <paramref name="channel"/>; null once <paramref name="stopping"/>.</summary>
    public async Task<IAsyncDisposable?> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var subscription = await bus.SubscribeAsync(channel, handler, stopping);
                _listening.TrySetResult();
                return subscription;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.SseRelaySubscriptionFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stopping);
            }
        }

        return null;
    }

    /// <summary>Waits until this instance hears its answers: a request forwarded before that would never get one.</summary>
    public async Task WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _listening.Task.WaitAsync(TimeSpan.FromSeconds(5), time, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new McpStorageUnavailableException("This instance could not subscribe to the bus yet.", e);
        }
    }
}
