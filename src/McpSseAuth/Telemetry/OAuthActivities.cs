using System.Diagnostics;

namespace McpSseAuth.Telemetry;

/// <summary>
/// McpSseAuth's spans (<see cref="McpOAuthDefaults.TelemetryName"/>), one per step that matters, children of ASP.NET Core's
/// request span. Started only when something listens (OpenTelemetry's <c>AddSource</c>); never carry a token, code, secret or
/// password, and a user id only when <see cref="McpOAuthTelemetryOptions.IncludeUserId"/> says so.
/// </summary>
internal static class OAuthActivities
{
    public static readonly ActivitySource Source = new(McpOAuthDefaults.TelemetryName, typeof(OAuthActivities).Assembly.GetName().Version?.ToString());

    public const string Authorize = "mcpsseauth.authorize";
    public const string Consent = "mcpsseauth.consent";
    public const string Token = "mcpsseauth.token";
    public const string Registration = "mcpsseauth.register";
    public const string Revocation = "mcpsseauth.revoke";
    public const string Introspection = "mcpsseauth.introspect";
    public const string SignIn = "mcpsseauth.sign_in";
    public const string SignOut = "mcpsseauth.sign_out";
    public const string ConnectedApps = "mcpsseauth.connected_apps";
    public const string ServiceTokens = "mcpsseauth.service_tokens";
    public const string Operator = "mcpsseauth.operator";
    public const string MetadataDocumentFetch = "mcpsseauth.client_metadata_document.fetch";
    public const string UpstreamTokenRefresh = "mcpsseauth.upstream_token.refresh";
    public const string BearerValidation = "mcpsseauth.bearer.validate";
    public const string McpGuards = "mcpsseauth.mcp.guards";
    public const string AccessRevocation = "mcpsseauth.access.revoke";

    /// <summary>Starts a span of this library when one is listened to; null otherwise (the caller's cost: one check).</summary>
    public static Activity? Start(string name, ActivityKind kind = ActivityKind.Internal) => Source.StartActivity(name, kind);

    /// <summary>Marks the current span of this library as failed with <paramref name="errorType"/> (an OAuth error code or a reason).</summary>
    public static void Failed(string errorType)
    {
        if (Activity.Current is { } activity && ReferenceEquals(activity.Source, Source))
        {
            activity.SetTag(TelemetryTags.ErrorType, errorType);
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>Sets a tag on the current span of this library, if there is one.</summary>
    public static void Tag(string name, string? value)
    {
        if (value is not null && Activity.Current is { } activity && ReferenceEquals(activity.Source, Source))
        {
            activity.SetTag(name, value);
        }
    }
}
