using McpSseAuth.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Grants;

/// <summary>Listens for revocations published by the other instances, from startup on; subscribes again until it can.</summary>
internal sealed class RevocationFanOut(GrantRevocationSignal signal, IMcpOAuthBus bus, TimeProvider time, ILogger<RevocationFanOut> logger) : BackgroundService
{
    private IAsyncDisposable? _subscription;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _subscription = await bus.SubscribeAsync(GrantRevocationSignal.Channel, message =>
                {
                    signal.Received(message.Span);
                    return ValueTask.CompletedTask;
                }, stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.RevocationSubscriptionFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_subscription is not null)
        {
            await _subscription.DisposeAsync();
        }
    }
}
