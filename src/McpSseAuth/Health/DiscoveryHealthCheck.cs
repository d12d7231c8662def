using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpSseAuth.Health;

/// <summary>
/// An identity provider's discovery document answers: fetched now (not a cached copy), a JSON object naming its
/// <c>issuer</c> and <c>jwks_uri</c>. For an upstream OpenID Connect sign-in scheme and an enterprise provider whose keys
/// come from its metadata. A provider that is down keeps new users from signing in, not signed-in users from working:
/// registered as Degraded, so one provider's outage does not take every instance out of the load balancer.
/// </summary>
internal sealed class DiscoveryHealthCheck(string what, Func<IServiceProvider, (Uri? Address, HttpClient Client)> source, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (address, client) = source(services);
        if (address is null)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{what} has no discovery document address.");
        }

        try
        {
            using var response = await client.GetAsync(address, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"{what}: {address} answered HTTP {(int)response.StatusCode}.");
            }

            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("issuer", out _) && root.TryGetProperty("jwks_uri", out _)
                ? HealthCheckResult.Healthy($"{what}: {address} answers.")
                : new HealthCheckResult(context.Registration.FailureStatus, $"{what}: {address} is not a discovery document (no issuer or jwks_uri).");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{what}: {address} cannot be read ({e.GetType().Name}).");
        }
    }
}
