using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Telemetry;

/// <summary>
/// The audit trail, one call per security event where it takes effect: logged under <see cref="McpOAuthDefaults.AuditCategory"/>
/// with its stable id, told to <see cref="McpOAuthEvents.OnSecurityEvent"/>, counted (<c>mcpsseauth.sign_ins</c>,
/// <c>mcpsseauth.revocations</c>) and marked on the request's span.
/// </summary>
internal sealed class SecurityAudit(ILoggerFactory loggers, OAuthMetrics metrics, IOptions<McpOAuthOptions> options, TimeProvider time)
{
    private readonly ILogger _log = loggers.CreateLogger(McpOAuthDefaults.AuditCategory);

    /// <summary>A user signed in: <paramref name="method"/> is <c>local</c> (<paramref name="name"/> their user name) or the remote scheme.</summary>
    public Task SignedInAsync(HttpContext context, string method, string subject, string name)
    {
        if (method == Local)
        {
            Log.UserSignedIn(_log, name);
        }
        else
        {
            Log.UpstreamUserSignedIn(_log, subject, method);
        }

        metrics.SignIn(method, "succeeded");
        EndpointStep.User(context, subject, options.Value.Telemetry.IncludeUserId);
        return RaiseAsync(context, McpSecurityEvent.SignedIn, method == Local ? 1203 : 1207, subject, null, method);
    }

    /// <summary>A local sign-in with a wrong password (<paramref name="userName"/> only when it is a user's), or one refused for too many failures.</summary>
    public Task LocalSignInFailedAsync(HttpContext context, string? userName, bool throttled)
    {
        var name = userName ?? "(unknown user)";
        if (throttled)
        {
            Log.SignInThrottled(_log, name, context.Connection.RemoteIpAddress?.ToString());
        }
        else
        {
            Log.SignInFailed(_log, name);
        }

        metrics.SignIn(Local, throttled ? "throttled" : "failed");
        OAuthActivities.Failed(throttled ? "throttled" : "failed");
        return RaiseAsync(context, McpSecurityEvent.SignInFailed, throttled ? 1205 : 1204, userName, null, throttled ? "too many failures" : "wrong password");
    }

    /// <summary>A remote scheme's sign-in failed or was cancelled.</summary>
    public Task UpstreamSignInFailedAsync(HttpContext context, string scheme, string reason)
    {
        Log.UpstreamSignInFailed(_log, scheme, reason);
        metrics.SignIn(scheme, "failed");
        return RaiseAsync(context, McpSecurityEvent.SignInFailed, 1208, null, null, scheme + ": " + reason);
    }

    /// <summary>A user was kept out at sign-in (or at an enterprise provider's grant) by the rules or the app.</summary>
    public Task SignInRefusedAsync(HttpContext context, string method, string? subject, string reason, string? clientId = null)
    {
        Log.SignInRefused(_log, subject ?? "(no subject)", method, reason);
        metrics.SignIn(method, "refused");
        OAuthActivities.Failed("refused");
        return RaiseAsync(context, McpSecurityEvent.SignInRefused, 1206, subject, clientId, method + ": " + reason);
    }

    public Task ConsentAsync(HttpContext context, string subject, string clientId, string resources, bool allowed)
    {
        Log.ConsentDecided(_log, subject, allowed ? "allowed" : "denied", clientId, resources);
        EndpointStep.Client(context, clientId);
        EndpointStep.User(context, subject, options.Value.Telemetry.IncludeUserId);
        return RaiseAsync(context, allowed ? McpSecurityEvent.ConsentGiven : McpSecurityEvent.ConsentDenied, 1202, subject, clientId, resources);
    }

    public Task ClientRegisteredAsync(HttpContext context, string clientId, string? clientName)
    {
        Log.ClientRegistered(_log, clientId, Log.Short(clientName));
        EndpointStep.Client(context, clientId);
        return RaiseAsync(context, McpSecurityEvent.ClientRegistered, 1101, null, clientId, Log.Short(clientName));
    }

    /// <summary>A spent <paramref name="kind"/> came back and its grant was revoked; <paramref name="afterSuccessor"/> for a rotated refresh token whose successor was used.</summary>
    public Task TokenReplayedAsync(HttpContext context, string kind, string clientId, string subject, string grantId, bool afterSuccessor = false)
    {
        if (afterSuccessor)
        {
            Log.RefreshReplayedAfterSuccessorUsed(_log, clientId, subject, grantId);
        }
        else
        {
            Log.TokenReplayed(_log, kind, clientId, subject, grantId);
        }

        metrics.Revoked("replay");
        return RaiseAsync(context, McpSecurityEvent.TokenReplayed, afterSuccessor ? 1308 : 1303, subject, clientId, grantId);
    }

    /// <summary>A client revoked its own grant with a token (RFC 7009).</summary>
    public Task RevokedByClientAsync(HttpContext context, string clientId, string? subject, string grantId, string kind)
    {
        Log.TokenRevoked(_log, clientId, grantId, kind);
        metrics.Revoked("client");
        return RaiseAsync(context, McpSecurityEvent.GrantRevoked, 1305, subject, clientId, grantId);
    }

    /// <summary>A user revoked a client on the connected-apps page.</summary>
    public Task WithdrawnByUserAsync(HttpContext context, string subject, string clientId, McpAccessRevocation revoked)
    {
        Log.GrantsRevokedByUser(_log, subject, Log.Short(clientId)!, revoked.GrantsRevoked);
        metrics.Revoked("user", revoked.GrantsRevoked);
        return RaiseAsync(context, McpSecurityEvent.ConsentWithdrawn, 1210, subject, clientId, null);
    }

    /// <summary>Access revoked through <see cref="IMcpUserAccess"/>: a grant or a client (<paramref name="clientId"/>), or the user removed (<paramref name="userRemoved"/>).</summary>
    public Task RevokedAsync(string subject, string? clientId, string what, bool userRemoved, McpAccessRevocation revoked)
    {
        Log.AccessRevoked(_log, subject, what, revoked.GrantsRevoked, revoked.ConsentsForgotten, revoked.SessionsEnded);
        metrics.Revoked(userRemoved ? "user_removed" : "operator", revoked.GrantsRevoked);
        return RaiseAsync(null, userRemoved ? McpSecurityEvent.UserAccessRemoved : McpSecurityEvent.GrantRevoked, 1211, subject, clientId, what);
    }

    /// <summary>A user lost access by the rules or the app's say (<see cref="IMcpUserStatus"/>); their removal follows.</summary>
    public Task AccessEndedAsync(string subject, string reason)
    {
        Log.UserAccessEnded(_log, subject, reason);
        return RaiseAsync(null, McpSecurityEvent.UserAccessRemoved, 1214, subject, null, reason);
    }

    /// <summary>An operator revoked or ended something in the operator's view; <paramref name="operatorName"/> is who.</summary>
    public Task OperatorActedAsync(HttpContext context, string operatorName, string action, string subject, string? clientId, McpAccessRevocation result)
    {
        Log.OperatorActed(_log, operatorName, action, subject, result.GrantsRevoked, result.ConsentsForgotten, result.SessionsEnded);
        return RaiseAsync(context, McpSecurityEvent.OperatorAction, 1216, subject, clientId, action + " by " + operatorName);
    }

    /// <summary>Someone who is not an operator reached the operator's view.</summary>
    public Task OperatorRefusedAsync(HttpContext context, string? subject, string reason)
    {
        Log.OperatorRefused(_log, subject ?? "(no subject)", reason);
        OAuthActivities.Failed("refused");
        return RaiseAsync(context, McpSecurityEvent.OperatorRefused, 1217, subject, null, reason);
    }

    private const string Local = "local";

    private Task RaiseAsync(HttpContext? context, McpSecurityEvent kind, int eventId, string? subject, string? clientId, string? detail)
        => options.Value.Events.SecurityEvent(new McpSecurityEventContext(context, kind, eventId, time.GetUtcNow(), subject, clientId, detail));
}
