using System.Net;
using McpSseAuth.Keys;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// McpSseAuth's health checks (<c>AddMcpOAuthChecks</c>), as the sample maps them: readiness at <c>/health/ready</c>
/// checks the storage, the signing key ring, the bus and the upstream providers' discovery documents; liveness at
/// <c>/health/live</c> checks none of them.
/// </summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task AllAnswering_ReadyAndLive_AreHealthy_AndTheChecksAreAddedOnce()
    {
        // The sample adds them; a second call adds nothing twice (HealthCheckService refuses duplicate names).
        await using var app = new SampleApp(services: s => s.AddHealthChecks().AddMcpOAuthChecks("ready"));
        var http = app.CreateRawClient();

        Assert.Equal("Healthy", await BodyAsync(http, "/health/ready", HttpStatusCode.OK));
        Assert.Equal("Healthy", await BodyAsync(http, "/health/live", HttpStatusCode.OK));
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(["mcpsseauth:bus", "mcpsseauth:signing-keys", "mcpsseauth:storage"], report.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.All(report.Entries.Values, e => Assert.Equal(HealthStatus.Healthy, e.Status));
        Assert.All(report.Entries.Values, e => Assert.Contains("ready", e.Tags));
    }

    [Fact]
    public async Task StorageDown_FailsReadiness_NotLiveness()
    {
        var storage = new SwitchableStorage();
        await using var app = new SampleApp(services: s => s.AddMcpOAuthStorage(_ => storage));
        var http = app.CreateRawClient();
        Assert.Equal("Healthy", await BodyAsync(http, "/health/ready", HttpStatusCode.OK));

        storage.Down = true;

        Assert.Equal("Unhealthy", await BodyAsync(http, "/health/ready", HttpStatusCode.ServiceUnavailable));
        Assert.Equal("Healthy", await BodyAsync(http, "/health/live", HttpStatusCode.OK));
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["mcpsseauth:storage"].Status);
        Assert.Contains("cannot be reached", report.Entries["mcpsseauth:storage"].Description, StringComparison.Ordinal);

        storage.Down = false;
        Assert.Equal("Healthy", await BodyAsync(http, "/health/ready", HttpStatusCode.OK));
    }

    [Fact]
    public async Task SigningKeys_WithoutASuccessorWhenDue_AreUnhealthy_UntilTheRingCanSaveOne()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 5, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new ReadOnlyWhenAsked();
        await using var app = new SampleApp(
            configure: o => o.Signing.RotationPeriod = TimeSpan.FromDays(8),
            services: s =>
            {
                s.AddSingleton<TimeProvider>(clock);
                s.Replace(ServiceDescriptor.Singleton<ISigningKeyStore>(store));
            });
        var health = app.Services.GetRequiredService<HealthCheckService>();
        var keys = (await health.CheckHealthAsync()).Entries["mcpsseauth:signing-keys"];
        Assert.Equal(HealthStatus.Healthy, keys.Status);
        Assert.False(keys.Data.ContainsKey("next"));

        // Half a day before the key retires (its successor is due a day before), the ring cannot save one.
        store.ReadOnly = true;
        clock.Advance(TimeSpan.FromDays(7.5));
        keys = (await health.CheckHealthAsync()).Entries["mcpsseauth:signing-keys"];
        Assert.Equal(HealthStatus.Unhealthy, keys.Status);
        Assert.Contains("no next key is published", keys.Description, StringComparison.Ordinal);

        // The store takes writes again: at its next try (a minute on) the ring publishes the successor.
        store.ReadOnly = false;
        clock.Advance(TimeSpan.FromMinutes(2));
        keys = (await health.CheckHealthAsync()).Entries["mcpsseauth:signing-keys"];
        Assert.Equal(HealthStatus.Healthy, keys.Status);
        Assert.NotEqual(keys.Data["current"], keys.Data["next"]);
    }

    [Fact]
    public async Task IdentityProviders_DiscoveryDocumentsAnswering_AreHealthy_Down_AreDegraded_AndReadinessHolds()
    {
        var idp = new EnterpriseIdp();
        await idp.StartAsync();
        await using var app = new SampleApp(
            configure: o => o.EnterpriseIdentityProviders.Add(new McpEnterpriseIdentityProvider { Name = "corp", Issuer = idp.Issuer, ClientIds = { "agent" } }),
            settings: new Dictionary<string, string?>
            {
                ["Upstream:Authority"] = idp.Issuer,
                ["Upstream:ClientId"] = "sample",
                ["Upstream:ClientSecret"] = "secret",
            });
        var http = app.CreateRawClient();
        var health = app.Services.GetRequiredService<HealthCheckService>();
        var report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Entries["mcpsseauth:upstream:upstream"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["mcpsseauth:enterprise:corp"].Status);

        await idp.DisposeAsync();

        report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, report.Entries["mcpsseauth:upstream:upstream"].Status);
        Assert.Equal(HealthStatus.Degraded, report.Entries["mcpsseauth:enterprise:corp"].Status);
        Assert.Contains("cannot be read", report.Entries["mcpsseauth:upstream:upstream"].Description, StringComparison.Ordinal);
        // Signed-in users keep working while a provider is down: the instance stays in the load balancer.
        Assert.Equal("Degraded", await BodyAsync(http, "/health/ready", HttpStatusCode.OK));
    }

    [Fact]
    public async Task OnRedis_StorageAndBus_FollowTheServer()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var app = new SampleApp(services: s => s.AddMcpOAuthRedis(redis.ConnectionString, o => o.KeyPrefix = "health-" + Guid.NewGuid().ToString("N")));
        var health = app.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        await redis.StopAsync();
        var down = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, down.Entries["mcpsseauth:storage"].Status);
        Assert.Equal(HealthStatus.Unhealthy, down.Entries["mcpsseauth:bus"].Status);

        await redis.StartAsync();
        var report = await health.CheckHealthAsync();
        for (var i = 0; i < 100 && report.Status != HealthStatus.Healthy; i++)
        {
            await Task.Delay(100);
            report = await health.CheckHealthAsync();
        }

        Assert.True(report.Status == HealthStatus.Healthy, string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description}")));
    }

    private static async Task<string> BodyAsync(HttpClient http, string path, HttpStatusCode status)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The key ring's store in memory, refusing saves while <see cref="ReadOnly"/> (a disk or database gone read-only).</summary>
    private sealed class ReadOnlyWhenAsked : ISigningKeyStore
    {
        private readonly InMemorySigningKeyStore _inner = new();

        public volatile bool ReadOnly;

        public ValueTask<IReadOnlyList<StoredSigningKey>> LoadAsync(CancellationToken cancellationToken) => _inner.LoadAsync(cancellationToken);

        public ValueTask SaveAsync(IReadOnlyList<StoredSigningKey> keys, CancellationToken cancellationToken)
            => ReadOnly ? throw new IOException("The key store is read-only.") : _inner.SaveAsync(keys, cancellationToken);
    }
}
