using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Telemetry;

/// <summary>
/// One request to an OAuth endpoint as telemetry sees it: its span (when listened to) and what its handler learned — the
/// grant type asked for, the OAuth error answered — from which the endpoint's metrics are counted when it ends.
/// </summary>
internal sealed class EndpointStep
{
    private EndpointStep(string operation, Activity? activity)
    {
        Operation = operation;
        Activity = activity;
    }

    public string Operation { get; }

    public Activity? Activity { get; }

    public string? GrantType { get; set; }

    /// <summary>The OAuth error code answered, if any.</summary>
    public string? Error { get; private set; }

    /// <summary>The step of the request, if it reached an OAuth endpoint.</summary>
    public static EndpointStep? Of(HttpContext context) => context.Features.Get<EndpointStep>();

    /// <summary>The request was answered with an OAuth error (<paramref name="error"/> is its code).</summary>
    public static void Refused(HttpContext context, string error)
    {
        if (Of(context) is { } step)
        {
            step.Error = error;
            step.Activity?.SetTag(TelemetryTags.ErrorType, error);
            step.Activity?.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>Tags the request's span with the client it came from.</summary>
    public static void Client(HttpContext context, string? clientId)
    {
        if (clientId is not null && Of(context)?.Activity is { } activity)
        {
            activity.SetTag(TelemetryTags.ClientId, clientId);
        }
    }

    /// <summary>Tags the request's span with the user's subject as <c>user.id</c>, when the host allowed it (<see cref="McpOAuthTelemetryOptions.IncludeUserId"/>).</summary>
    public static void User(HttpContext context, string subject, bool include)
    {
        if (include && Of(context)?.Activity is { } activity)
        {
            activity.SetTag(TelemetryTags.UserId, subject);
        }
    }

    /// <summary>
    /// The endpoint <paramref name="next"/> inside a span named <paramref name="operation"/> (an <see cref="OAuthActivities"/>
    /// name), its outcome counted by <paramref name="metrics"/> when it ends.
    /// </summary>
    public static RequestDelegate Wrap(string operation, RequestDelegate next, OAuthMetrics metrics) => async context =>
    {
        using var activity = OAuthActivities.Start(operation);
        var step = new EndpointStep(operation, activity);
        context.Features.Set(step);
        try
        {
            await next(context);
        }
        catch (Exception ex) when (step.Failed(ex))
        {
            throw;
        }
        finally
        {
            step.Count(metrics, context.Response.StatusCode);
        }
    };

    /// <summary>An exception left the endpoint (the storage down answers 503 further out): recorded as its error; false, so it goes on.</summary>
    private bool Failed(Exception exception)
    {
        Error ??= exception is Storage.McpStorageUnavailableException ? "temporarily_unavailable" : exception.GetType().Name;
        Activity?.SetTag(TelemetryTags.ErrorType, Error);
        Activity?.SetStatus(ActivityStatusCode.Error);
        return false;
    }

    private void Count(OAuthMetrics metrics, int status)
    {
        Activity?.SetTag(TelemetryTags.GrantType, GrantType is null ? null : TelemetryTags.Grant(GrantType));
        switch (Operation)
        {
            case OAuthActivities.Token when Error is not null || status >= 400:
                metrics.TokenRefused(GrantType, Error ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case OAuthActivities.Token:
                metrics.TokenIssued(GrantType);
                break;
            case OAuthActivities.Registration:
                metrics.Registration(Error ?? (status >= 400 ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
                break;
        }
    }
}
