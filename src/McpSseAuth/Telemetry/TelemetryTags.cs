namespace McpSseAuth.Telemetry;

/// <summary>
/// The attribute names of McpSseAuth's spans and metrics (docs/observability.md): OpenTelemetry's semantic conventions where
/// they have one (<c>error.type</c>, <c>user.id</c>, <c>mcp.session.id</c>), <c>mcpsseauth.*</c> where they do not.
/// </summary>
internal static class TelemetryTags
{
    public const string ErrorType = "error.type";
    public const string UserId = "user.id";
    public const string SessionId = "mcp.session.id";
    public const string ClientId = "mcpsseauth.client_id";
    public const string GrantType = "mcpsseauth.grant_type";
    public const string Method = "mcpsseauth.sign_in.method";
    public const string Outcome = "mcpsseauth.outcome";
    public const string Reason = "mcpsseauth.revocation.reason";
    public const string Operation = "mcpsseauth.storage.operation";
    public const string Transport = "mcpsseauth.transport";
    public const string RefusalReason = "mcpsseauth.refusal.reason";

    /// <summary>A grant type as a metric attribute: the ones this server knows, anything else <c>other</c> (bounded cardinality).</summary>
    public static string Grant(string? grantType) => grantType switch
    {
        "authorization_code" or "refresh_token" or "client_credentials" or "urn:ietf:params:oauth:grant-type:jwt-bearer" => grantType,
        null => "none",
        _ => "other",
    };
}
