using System.Diagnostics.Metrics;

namespace McpSseAuth.Sessions;

/// <summary>
/// The session manager's metrics (meter <c>McpSseAuth</c>): <c>mcpsseauth.sessions.active</c> (live sessions, by
/// <c>transport</c>) and <c>mcpsseauth.sessions.refused</c> (refused requests, by <c>reason</c>).
/// </summary>
internal sealed class SessionMetrics
{
    public const string MeterName = "McpSseAuth";
    private readonly Counter<long> _refused;

    public SessionMetrics(IMeterFactory meters, McpSessionRegistry registry)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableUpDownCounter(
            "mcpsseauth.sessions.active",
            () => CountByTransport(registry),
            unit: "{session}",
            description: "Live stateful MCP sessions.");
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
            new(sse, new KeyValuePair<string, object?>("transport", "sse")),
            new(streamable, new KeyValuePair<string, object?>("transport", "streamable_http")),
        ];
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
