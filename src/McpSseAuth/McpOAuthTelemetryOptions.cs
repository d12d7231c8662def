namespace McpSseAuth;

/// <summary>
/// What McpSseAuth's spans may say (the <c>Telemetry</c> section of the configuration). Spans and metrics are always
/// emitted under <see cref="McpOAuthDefaults.TelemetryName"/>, at no cost until something listens; they never carry a token,
/// code, secret or password.
/// </summary>
public sealed class McpOAuthTelemetryOptions
{
    /// <summary>
    /// Whether spans carry the user's subject as <c>user.id</c> (default false): a personal identifier, so only where the
    /// place the traces go may hold it. Metrics never carry it.
    /// </summary>
    public bool IncludeUserId { get; set; }
}
