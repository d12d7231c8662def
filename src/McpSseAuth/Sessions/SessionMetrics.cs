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
            () => registry.CountByTransport().Select(c => new Measurement<long>(c.Count, new KeyValuePair<string, object?>("transport", c.Transport))),
            unit: "{session}",
            description: "Live stateful MCP sessions.");
        _refused = meter.CreateCounter<long>("mcpsseauth.sessions.refused", unit: "{request}", description: "MCP requests refused by the session manager.");
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
