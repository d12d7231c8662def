using System.Diagnostics.Metrics;
using System.Reflection;
using McpSseAuth.Telemetry;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpSseAuth.Tests.Docs;

/// <summary>
/// docs/observability.md is the one table of McpSseAuth's spans, metrics (with instrument and unit), health checks and
/// audit events: each one the library makes is a row, so a new one without its row fails.
/// </summary>
public sealed class ObservabilityReferenceTests
{
    private static readonly string[] Rows = [.. File.ReadAllLines(Path.Combine(Repository.Root, "docs", "observability.md")).Where(l => l.StartsWith('|'))];

    [Fact]
    public async Task EveryMetric_IsARow_WithItsInstrumentAndUnit()
    {
        await using var app = new SampleApp();
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var instruments = new List<Instrument>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == McpOAuthDefaults.TelemetryName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    instruments.Add(instrument);
                }
            };

            // Made when their owners are: ask for them.
            app.Services.GetRequiredService<OAuthMetrics>();
            app.Services.GetRequiredService<McpSseAuth.Sessions.SessionMetrics>();
            listener.Start();
        }

        Assert.True(instruments.Count >= 10, $"Found only {instruments.Count} instruments.");
        foreach (var instrument in instruments)
        {
            var kind = instrument.GetType().Name switch
            {
                var n when n.StartsWith("Counter", StringComparison.Ordinal) => "counter",
                var n when n.StartsWith("Histogram", StringComparison.Ordinal) => "histogram",
                var n when n.StartsWith("ObservableUpDownCounter", StringComparison.Ordinal) || n.StartsWith("UpDownCounter", StringComparison.Ordinal) => "up-down counter",
                var n => n,
            };
            Assert.Contains(Rows, r => r.StartsWith($"| `{instrument.Name}` | {kind} | `{instrument.Unit}` |", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void EverySpan_IsARow()
    {
        var names = typeof(OAuthActivities).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.True(names.Count >= 15);
        Assert.All(names, name => Assert.Contains(Rows, r => r.StartsWith($"| `{name}` |", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EveryHealthCheck_AndAuditEvent_IsARow()
    {
        await using var app = new SampleApp(configure: o => o.EnterpriseIdentityProviders.Add(new McpEnterpriseIdentityProvider { Name = "corp", Issuer = "https://idp.example.com", ClientIds = { "agent" } }));
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name != "mcpsseauth:enterprise:corp");
        Assert.NotEmpty(report.Entries);
        Assert.All(report.Entries.Keys.Append("mcpsseauth:enterprise:corp"), name => Assert.Contains(Rows, r => r.StartsWith($"| `{(name.StartsWith("mcpsseauth:enterprise:", StringComparison.Ordinal) ? "mcpsseauth:enterprise:{name}" : name)}` |", StringComparison.Ordinal)));
        Assert.All(Enum.GetNames<McpSecurityEvent>(), kind => Assert.Contains(Rows, r => r.StartsWith('|') && r.Split('|')[1].Contains($"`{kind}`", StringComparison.Ordinal)));
    }
}
