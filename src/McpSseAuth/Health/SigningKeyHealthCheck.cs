using McpSseAuth.Keys;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Health;

/// <summary>
/// The signing key ring as kept: the key this instance signs with is in the ring and not past its time, and once it is
/// within its lead time (<see cref="SigningKeyRing.Lead"/>) of retiring, its successor is published. A configured key
/// (<see cref="McpOAuthSigningOptions.Credentials"/>) is healthy as it is: it does not rotate.
/// </summary>
internal sealed class SigningKeyHealthCheck(SigningKeys keys, ISigningKeyStore store, IOptions<McpOAuthOptions> options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var signing = options.Value.Signing;
        if (signing.Credentials is not null)
        {
            return HealthCheckResult.Healthy("A configured signing key, not rotated.");
        }

        var now = time.GetUtcNow();
        var keyId = keys.Current.Key.KeyId;
        var ring = (await store.LoadAsync(cancellationToken)).Where(k => k.IsScheduled).ToList();
        if (ring.FirstOrDefault(k => k.KeyId == keyId) is not { } current)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The key this instance signs with ({keyId}) is not in the stored key ring.");
        }

        var data = new Dictionary<string, object> { ["current"] = current.KeyId, ["retires"] = current.Retires };
        if (now >= current.Retires)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The signing key {current.KeyId} is past its time ({current.Retires:O}).", data: data);
        }

        var next = ring.Where(k => k.Activates > now).OrderBy(k => k.Activates).FirstOrDefault();
        if (next is not null)
        {
            data["next"] = next.KeyId;
            data["next_activates"] = next.Activates;
        }
        else if (now >= current.Retires - SigningKeyRing.Lead(signing.RotationPeriod))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The signing key {current.KeyId} retires at {current.Retires:O} and no next key is published.", data: data);
        }

        return HealthCheckResult.Healthy($"Signing with {current.KeyId} until {current.Retires:O}.", data);
    }
}
