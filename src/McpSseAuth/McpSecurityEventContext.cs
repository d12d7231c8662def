using Microsoft.AspNetCore.Http;

namespace McpSseAuth;

/// <summary>What happened, in an <see cref="McpSecurityEventContext"/>: the audit trail's kinds of event.</summary>
public enum McpSecurityEvent
{
    /// <summary>A user signed in, with a password or through a remote scheme.</summary>
    SignedIn,

    /// <summary>A sign-in failed: a wrong password, too many attempts, or a remote scheme's failure.</summary>
    SignInFailed,

    /// <summary>A user was kept out: the access rules, <see cref="McpOAuthEvents.OnSigningIn"/> or the user's status.</summary>
    SignInRefused,

    /// <summary>A user allowed a client.</summary>
    ConsentGiven,

    /// <summary>A user denied a client.</summary>
    ConsentDenied,

    /// <summary>A user revoked a client on the connected-apps page: its grants ended, its consent forgotten.</summary>
    ConsentWithdrawn,

    /// <summary>A client registered dynamically.</summary>
    ClientRegistered,

    /// <summary>A used code or rotated refresh token was presented again: its grant (the token family) is revoked.</summary>
    TokenReplayed,

    /// <summary>A grant was revoked by its client (RFC 7009) or through <see cref="IMcpUserAccess"/> (an operator).</summary>
    GrantRevoked,

    /// <summary>A user lost access: removed through <see cref="IMcpUserAccess"/>, or refused by the access rules or the app's say.</summary>
    UserAccessRemoved,

    /// <summary>An operator revoked a grant or a user's client, ended a session or removed a user in the operator's view; <see cref="McpSecurityEventContext.Detail"/> says what and who.</summary>
    OperatorAction,

    /// <summary>Someone not among <see cref="McpOAuthOperatorOptions.Access"/> reached the operator's view, and was refused.</summary>
    OperatorRefused,
}

/// <summary>
/// One event of the audit trail (<see cref="McpOAuthEvents.OnSecurityEvent"/>). The same event is logged under the category
/// <see cref="McpOAuthDefaults.AuditCategory"/> with the stable <see cref="EventId"/> (docs/observability.md); nothing in it is
/// a secret.
/// </summary>
public sealed class McpSecurityEventContext
{
    internal McpSecurityEventContext(HttpContext? httpContext, McpSecurityEvent @event, int eventId, DateTimeOffset time, string? subject, string? clientId, string? detail)
    {
        HttpContext = httpContext;
        Event = @event;
        EventId = eventId;
        Time = time;
        Subject = subject;
        ClientId = clientId;
        Detail = detail;
    }

    /// <summary>The request that caused it; null when it happened outside one (an operator's call, a sweep).</summary>
    public HttpContext? HttpContext { get; }

    /// <summary>What happened.</summary>
    public McpSecurityEvent Event { get; }

    /// <summary>The stable id of its log event (e.g. 1203 for a local sign-in).</summary>
    public int EventId { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The user concerned (their subject, or for a failed local sign-in the user name tried if it is a user's), if any.</summary>
    public string? Subject { get; }

    /// <summary>The client concerned, if any.</summary>
    public string? ClientId { get; }

    /// <summary>More about it: the sign-in scheme, the reason, the grant id, the resource.</summary>
    public string? Detail { get; }
}
