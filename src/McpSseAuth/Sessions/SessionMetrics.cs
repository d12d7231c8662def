using System.Diagnostics.Metrics;

namespace McpSseAuth.Sessions;

/// <summary>
/// The session manager's metrics (meter <c>McpSseAuth</c>): <c>mcpsseauth.sessions.active</c> (live sessions, by
/// <c>mcpsseauth.transport</c>), <c>mcpsseauth.sessions.refused</c> (refused requests, by <c>mcpsseauth.refusal.reason</c>)
/// and <c>mcpsseauth.sse.requests_in_flight</c> (legacy SSE requests awaiting their answer: the backpressure that
/// <see cref="McpOAuthSessionOptions.MaxSseRequestsInFlight"/> bounds).
/// </summary>
internal sealed class SessionMetrics
{
    private readonly Counter<long> _refused;

    public SessionMetrics(IMeterFactory meters, McpSessionRegistry registry)
    {
        var meter = meters.Create(McpOAuthDefaults.TelemetryName);
        meter.CreateObservableUpDownCounter(
            "mcpsseauth.sessions.active",
            () => CountByTransport(registry),
            unit: "{session}",
            description: "Live stateful MCP sessions.");
        meter.CreateObservableUpDownCounter(
            "mcpsseauth.sse.requests_in_flight",
            () => InFlight(registry),
            unit: "{request}",
            description: "Requests of legacy SSE sessions awaiting their answer on the stream.");
        _refused = meter.CreateCounter<long>("mcpsseauth.sessions.refused", unit: "{request}", description: "MCP requests refused by the session manager.");
    }

    /// <summary>Live sessions per transport, both always present.</summary>
    private static Measurement<long>[] CountByTransport(McpSessionRegistry registry)
    {
        long sse = 0, streamable = 0;
        foreach (var entry in registry.Entries)
        {
            if (entry.Info.Transport == McpSessionTransport.Sse)
            {
                sse++;
            }
            else
            {
                streamable++;
            }
        }

        return
        [
            new(sse, new KeyValuePair<string, object?>(Telemetry.TelemetryTags.Transport, "sse")),
            new(streamable, new KeyValuePair<string, object?>(Telemetry.TelemetryTags.Transport, "streamable_http")),
        ];
    }

    private static long InFlight(McpSessionRegistry registry)
    {
        long inFlight = 0;
        foreach (var entry in registry.Entries)
        {
            if (entry.Info.Transport == McpSessionTransport.Sse)
            {
                inFlight += entry.InFlight;
            }
        }

        return inFlight;
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>(Telemetry.TelemetryTags.RefusalReason, reason));
}
