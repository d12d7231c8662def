using System.Text;
using McpSseAuth.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Grants;

/// <summary>
/// Raised whenever a grant is revoked (connected-apps page, revocation endpoint, replay detection, admin API), so live
/// sessions of it end at once: in this process directly, on the other instances through <see cref="IMcpOAuthBus"/>.
/// </summary>
internal sealed class GrantRevocationSignal(IMcpOAuthBus? bus = null, ILogger<GrantRevocationSignal>? logger = null)
{
    public const string Channel = "revocations";

    public event Action<string>? Revoked;

    /// <summary>Ends the grant's sessions in this process only.</summary>
    public void Raise(string grantId) => Revoked?.Invoke(grantId);

    /// <summary>Ends the grant's sessions here, and tells the other instances. The revocation must be stored first.</summary>
    public async ValueTask RaiseAsync(string grantId, CancellationToken cancellationToken)
    {
        Raise(grantId);
        if (bus is null)
        {
            return;
        }

        try
        {
            await bus.PublishAsync(Channel, Encoding.UTF8.GetBytes(bus.InstanceId + " " + grantId), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Unreachable or refused, but stored already: the other instances' registries find it at their next sweep (SessionIdleTimeout / 4, a minute at most).
            if (logger is not null)
            {
                Log.RevocationNotPublished(logger, e);
            }
        }
    }

    /// <summary>A revocation published by another instance (or this one, which already acted on it).</summary>
    public void Received(ReadOnlySpan<byte> message)
    {
        var text = Encoding.UTF8.GetString(message);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && bus is not null && !text.AsSpan(0, space).SequenceEqual(bus.InstanceId))
        {
            Raise(text[(space + 1)..]);
        }
    }
}

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
