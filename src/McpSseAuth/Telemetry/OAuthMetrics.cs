using System.Diagnostics.Metrics;

namespace McpSseAuth.Telemetry;

/// <summary>
/// The authorization server's metrics (meter <see cref="McpOAuthDefaults.TelemetryName"/>; every name, unit and attribute in
/// docs/observability.md): tokens issued and refused, registrations, sign-ins, revocations, access tokens refused at the
/// MCP endpoints, storage calls. Attributes are bounded: grant types, OAuth error codes, sign-in schemes, reasons — never a
/// client or user id.
/// </summary>
internal sealed class OAuthMetrics
{
    private readonly Counter<long> _issued;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _registrations;
    private readonly Counter<long> _signIns;
    private readonly Counter<long> _revocations;
    private readonly Counter<long> _accessTokensRefused;
    private readonly Histogram<double> _storage;

    public OAuthMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(McpOAuthDefaults.TelemetryName);
        _issued = meter.CreateCounter<long>("mcpsseauth.tokens.issued", "{response}", "Token responses that issued tokens, by grant type.");
        _refused = meter.CreateCounter<long>("mcpsseauth.tokens.refused", "{response}", "Token requests refused, by grant type and OAuth error.");
        _registrations = meter.CreateCounter<long>("mcpsseauth.registrations", "{request}", "Dynamic client registrations, by outcome and OAuth error.");
        _signIns = meter.CreateCounter<long>("mcpsseauth.sign_ins", "{attempt}", "Sign-ins at the authorization server, by method and outcome.");
        _revocations = meter.CreateCounter<long>("mcpsseauth.revocations", "{grant}", "Grants revoked, by reason.");
        _accessTokensRefused = meter.CreateCounter<long>("mcpsseauth.access_tokens.refused", "{request}", "MCP requests whose access token was refused, by reason.");
        _storage = meter.CreateHistogram(
            "mcpsseauth.storage.operation.duration",
            "s",
            "Calls to the storage, by operation and outcome.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
    }

    public void TokenIssued(string? grantType) => _issued.Add(1, new KeyValuePair<string, object?>(TelemetryTags.GrantType, TelemetryTags.Grant(grantType)));

    public void TokenRefused(string? grantType, string error) => _refused.Add(
        1,
        new KeyValuePair<string, object?>(TelemetryTags.GrantType, TelemetryTags.Grant(grantType)),
        new KeyValuePair<string, object?>(TelemetryTags.ErrorType, error));

    public void Registration(string? error)
    {
        if (error is null)
        {
            _registrations.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Outcome, "registered"));
        }
        else
        {
            _registrations.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Outcome, "refused"), new KeyValuePair<string, object?>(TelemetryTags.ErrorType, error));
        }
    }

    /// <summary>A sign-in: <paramref name="method"/> is <c>local</c> or the remote scheme's name; outcome <c>succeeded</c>, <c>failed</c>, <c>refused</c> or <c>throttled</c>.</summary>
    public void SignIn(string method, string outcome) => _signIns.Add(
        1,
        new KeyValuePair<string, object?>(TelemetryTags.Method, method),
        new KeyValuePair<string, object?>(TelemetryTags.Outcome, outcome));

    public void Revoked(string reason, int grants = 1)
    {
        if (grants > 0)
        {
            _revocations.Add(grants, new KeyValuePair<string, object?>(TelemetryTags.Reason, reason));
        }
    }

    public void AccessTokenRefused(string reason) => _accessTokensRefused.Add(1, new KeyValuePair<string, object?>(TelemetryTags.ErrorType, reason));

    public bool MeasuresStorage => _storage.Enabled;

    public void StorageCall(string operation, string outcome, TimeSpan elapsed) => _storage.Record(
        elapsed.TotalSeconds,
        new KeyValuePair<string, object?>(TelemetryTags.Operation, operation),
        new KeyValuePair<string, object?>(TelemetryTags.Outcome, outcome));
}
