using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>Each server behind the gateway as an ASP.NET Core health check, and the gateway's metrics per server.</summary>
public sealed class HealthAndMetricsTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();   // nothing listens there now

        _host = await GatewayHost.StartAsync(
            o =>
            {
                o.McpServers["working"] = TestServerFixture.Server();
                o.McpServers["missing"] = new McpGatewayServer { Command = "mcpsseauth-no-such-command" };
                var dies = new McpGatewayServer { Command = "node" };
                dies.Args.Add("-e");
                dies.Args.Add("process.exit(1)");
                o.McpServers["dies"] = dies;
                o.McpServers["unreachable"] = new McpGatewayServer { Type = "http", Url = new Uri($"http://127.0.0.1:{closedPort}/mcp") };
            },
            services: s => s.AddHealthChecks().AddMcpGatewayServers("ready"));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task EachServer_IsAHealthCheck_ThatSaysWhatIsWrong()
    {
        var health = _host.Services.GetRequiredService<HealthCheckService>();
        var before = await health.CheckHealthAsync(c => c.Tags.Contains("ready"));
        Assert.Equal(HealthStatus.Healthy, before.Entries["mcp-server:working"].Status);
        Assert.Equal(HealthStatus.Healthy, before.Entries["mcp-server:dies"].Status);   // its command exists; nobody tried it yet
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["mcp-server:missing"].Status);
        Assert.Contains("not on this machine's PATH", before.Entries["mcp-server:missing"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["mcp-server:unreachable"].Status);
        Assert.Contains("does not answer HTTP", before.Entries["mcp-server:unreachable"].Description, StringComparison.Ordinal);

        await using (var client = await SdkClients.ConnectAsync(_host.Url("/dies/mcp"), HttpTransportMode.StreamableHttp, "alice"))
        {
            await Assert.ThrowsAsync<McpProtocolException>(() => client.ListToolsAsync().AsTask());
        }

        var after = await health.CheckHealthAsync(c => c.Tags.Contains("ready"));
        Assert.Equal(HealthStatus.Degraded, after.Entries["mcp-server:dies"].Status);
        Assert.Contains("last start failed", after.Entries["mcp-server:dies"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestsConnectionsAndFailures_AreCountedPerServer()
    {
        var measured = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "McpSseAuth.Gateway")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measured)
            {
                measured.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();

        await using var client = await SdkClients.ConnectAsync(_host.Url("/working/mcp"), HttpTransportMode.StreamableHttp, "bob");
        await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "counted" });
        await using var failing = await SdkClients.ConnectAsync(_host.Url("/missing/mcp"), HttpTransportMode.StreamableHttp, "bob");
        await Assert.ThrowsAsync<McpProtocolException>(() => failing.ListToolsAsync().AsTask());
        listener.RecordObservableInstruments();

        lock (measured)
        {
            Assert.Contains(measured, m => m.Instrument == "mcpsseauth.gateway.requests" && (string?)m.Tags["backend"] == "working" && (string?)m.Tags["method"] == "tools/call" && (string?)m.Tags["outcome"] == "ok");
            Assert.Contains(measured, m => m.Instrument == "mcpsseauth.gateway.connection.failures" && (string?)m.Tags["backend"] == "missing");
            Assert.Contains(measured, m => m.Instrument == "mcpsseauth.gateway.connections" && (string?)m.Tags["backend"] == "working" && (string?)m.Tags["kind"] == "stdio" && m.Value >= 1);
        }
    }
}
