using McpSseAuth.Gateway.Backends;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>Closes connections and stops processes left idle (<see cref="McpGatewayProcessOptions.IdleTimeout"/>); on shutdown, all of them.</summary>
internal sealed class LinkReaper(BackendLinks links, IOptions<McpGatewayOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(options.Value.Processes.IdleTimeout.Ticks / 4, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(30).Ticks));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await links.ReapAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await links.DisposeAsync();
    }
}
