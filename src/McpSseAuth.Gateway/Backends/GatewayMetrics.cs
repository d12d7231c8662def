using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// The gateway's metrics (meter <c>McpSseAuth.Gateway</c>), every one tagged with the <c>backend</c>:
/// <c>mcpsseauth.gateway.requests</c> (requests relayed, by <c>method</c> and <c>outcome</c>: ok, error, timeout,
/// unavailable, cancelled), <c>mcpsseauth.gateway.request.duration</c> (seconds, by <c>method</c>),
/// <c>mcpsseauth.gateway.connections</c> (live connections, by <c>kind</c>: stdio, sse, streamable_http) and
/// <c>mcpsseauth.gateway.connection.failures</c> (servers that did not start or could not be reached).
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "McpSseAuth.Gateway";
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;
    private readonly IServiceProvider _services;

    public GatewayMetrics(IMeterFactory meters, IServiceProvider services)
    {
        _services = services;
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("mcpsseauth.gateway.requests", unit: "{request}", description: "Requests relayed to the servers behind the gateway.");
        _duration = meter.CreateHistogram<double>("mcpsseauth.gateway.request.duration", unit: "s", description: "How long the servers behind the gateway took to answer.");
        _failures = meter.CreateCounter<long>("mcpsseauth.gateway.connection.failures", unit: "{connection}", description: "Servers behind the gateway that did not start or could not be reached.");
        meter.CreateObservableUpDownCounter("mcpsseauth.gateway.connections", Connections, unit: "{connection}", description: "Live connections to the servers behind the gateway (a stdio one is a process).");
    }

    public void Relayed(string backend, string method, string outcome, long startedAt)
    {
        var backendTag = new KeyValuePair<string, object?>("backend", backend);
        var methodTag = new KeyValuePair<string, object?>("method", method);
        _requests.Add(1, backendTag, methodTag, new KeyValuePair<string, object?>("outcome", outcome));
        _duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, backendTag, methodTag);
    }

    public void ConnectionFailed(string backend) => _failures.Add(1, new KeyValuePair<string, object?>("backend", backend));

    private IEnumerable<Measurement<long>> Connections()
        => _services.GetRequiredService<BackendLinks>().Live.GroupBy(l => (l.Backend.Name, l.Backend.Kind)).Select(g => new Measurement<long>(
            g.LongCount(),
            new KeyValuePair<string, object?>("backend", g.Key.Name),
            new KeyValuePair<string, object?>("kind", g.Key.Kind switch { BackendKind.Stdio => "stdio", BackendKind.Sse => "sse", _ => "streamable_http" })));
}
