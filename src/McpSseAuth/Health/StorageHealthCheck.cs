using System.Text;
using McpSseAuth.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpSseAuth.Health;

/// <summary>The storage answers: a probe entry of this instance written (expiring in a minute) and read back.</summary>
internal sealed class StorageHealthCheck(IMcpOAuthStorage storage, TimeProvider time) : IHealthCheck
{
    private readonly string _key = "health:" + Guid.NewGuid().ToString("N");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var value = Encoding.UTF8.GetBytes(time.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            await storage.SetAsync(_key, value, time.GetUtcNow().AddMinutes(1), partition: null, cancellationToken);
            return await storage.GetAsync(_key, cancellationToken) is { } read && read.Value.Span.SequenceEqual(value)
                ? HealthCheckResult.Healthy($"{storage.GetType().Name} answers.")
                : new HealthCheckResult(context.Registration.FailureStatus, $"{storage.GetType().Name} did not return what was written.");
        }
        catch (McpStorageUnavailableException e)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{storage.GetType().Name} cannot be reached.", e);
        }
    }
}
