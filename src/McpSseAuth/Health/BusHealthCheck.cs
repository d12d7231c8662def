using McpSseAuth.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpSseAuth.Health;

/// <summary>
/// The bus carries messages: a ping published on a channel of this instance's own comes back to its subscription before
/// the check's timeout — the path revocations and relayed messages take between instances.
/// </summary>
internal sealed class BusHealthCheck(IMcpOAuthBus bus) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var ping = Guid.NewGuid().ToByteArray();
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await using var subscription = await bus.SubscribeAsync("health:" + bus.InstanceId, message =>
            {
                if (message.Span.SequenceEqual(ping))
                {
                    heard.TrySetResult();
                }

                return ValueTask.CompletedTask;
            }, cancellationToken);
            await bus.PublishAsync("health:" + bus.InstanceId, ping, cancellationToken);
            await heard.Task.WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{bus.GetType().Name} delivers.");
        }
        catch (McpStorageUnavailableException e)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{bus.GetType().Name} cannot be reached.", e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{bus.GetType().Name} did not deliver a ping in time.");
        }
    }
}
