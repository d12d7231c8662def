using Microsoft.AspNetCore.Http;

namespace McpSseAuth;

/// <summary>Hooks into McpSseAuth's steps, in the manner of ASP.NET Core's authentication events.</summary>
public class McpOAuthEvents
{
    /// <summary>Called after a client registered dynamically.</summary>
    public Func<ClientRegisteredContext, Task> OnClientRegistered { get; set; } = _ => Task.CompletedTask;

    /// <summary>Called after tokens were issued at the token endpoint.</summary>
    public Func<TokenIssuedContext, Task> OnTokenIssued { get; set; } = _ => Task.CompletedTask;

    /// <summary>
    /// Called when a user returns from a remote sign-in scheme, after <see cref="McpOAuthSignInOptions.AccessRules"/> passed:
    /// call <see cref="SigningInContext.Refuse"/> to keep the user out with a reason they will read.
    /// </summary>
    public Func<SigningInContext, Task> OnSigningIn { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnSigningIn"/>.</summary>
    /// <param name="context">Who is signing in.</param>
    /// <returns>A task.</returns>
    public virtual Task SigningIn(SigningInContext context) => OnSigningIn(context);

    /// <summary>Called when a stateful MCP session starts (after its token was checked), for auditing.</summary>
    public Func<McpSessionEventContext, Task> OnSessionStarted { get; set; } = _ => Task.CompletedTask;

    /// <summary>Called when an MCP session ends, whatever the reason.</summary>
    public Func<McpSessionEventContext, Task> OnSessionEnded { get; set; } = _ => Task.CompletedTask;

    /// <summary>Called when the session manager refuses a request (binding, limits, ended session), for auditing.</summary>
    public Func<McpSessionRefusedContext, Task> OnSessionRefused { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnSessionStarted"/>.</summary>
    /// <param name="context">The session.</param>
    /// <returns>A task.</returns>
    public virtual Task SessionStarted(McpSessionEventContext context) => OnSessionStarted(context);

    /// <summary>Invokes <see cref="OnSessionEnded"/>.</summary>
    /// <param name="context">The session.</param>
    /// <returns>A task.</returns>
    public virtual Task SessionEnded(McpSessionEventContext context) => OnSessionEnded(context);

    /// <summary>Invokes <see cref="OnSessionRefused"/>.</summary>
    /// <param name="context">What was refused and why.</param>
    /// <returns>A task.</returns>
    public virtual Task SessionRefused(McpSessionRefusedContext context) => OnSessionRefused(context);

    /// <summary>
    /// Called for each event of the audit trail — sign-ins, consents, registrations, replays, revocations, users losing
    /// access — after it took effect, to ship it to a SIEM or an audit store. The same events are logged under
    /// <see cref="McpOAuthDefaults.AuditCategory"/>. An exception thrown here fails the request that caused the event.
    /// </summary>
    public Func<McpSecurityEventContext, Task> OnSecurityEvent { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnSecurityEvent"/>.</summary>
    /// <param name="context">What happened.</param>
    /// <returns>A task.</returns>
    public virtual Task SecurityEvent(McpSecurityEventContext context) => OnSecurityEvent(context);

    /// <summary>Invokes <see cref="OnClientRegistered"/>.</summary>
    /// <param name="context">What was registered.</param>
    /// <returns>A task.</returns>
    public virtual Task ClientRegistered(ClientRegisteredContext context) => OnClientRegistered(context);

    /// <summary>Invokes <see cref="OnTokenIssued"/>.</summary>
    /// <param name="context">What was issued.</param>
    /// <returns>A task.</returns>
    public virtual Task TokenIssued(TokenIssuedContext context) => OnTokenIssued(context);
}

/// <summary>A client was registered.</summary>
public sealed class ClientRegisteredContext
{
    internal ClientRegisteredContext(HttpContext httpContext, string clientId, string? clientName, IReadOnlyList<string> redirectUris)
    {
        HttpContext = httpContext;
        ClientId = clientId;
        ClientName = clientName;
        RedirectUris = redirectUris;
    }

    /// <summary>The registration request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The new client id.</summary>
    public string ClientId { get; }

    /// <summary>The name the client gave, if any (unverified).</summary>
    public string? ClientName { get; }

    /// <summary>The registered redirect URIs.</summary>
    public IReadOnlyList<string> RedirectUris { get; }
}

/// <summary>Tokens were issued.</summary>
public sealed class TokenIssuedContext
{
    internal TokenIssuedContext(HttpContext httpContext, string clientId, string subject, string grantType, IReadOnlyList<string> scopes, IReadOnlyList<string> audiences)
    {
        HttpContext = httpContext;
        ClientId = clientId;
        Subject = subject;
        GrantType = grantType;
        Scopes = scopes;
        Audiences = audiences;
    }

    /// <summary>The token request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The client the tokens were issued to.</summary>
    public string ClientId { get; }

    /// <summary>The user the tokens act for (the <c>sub</c> claim).</summary>
    public string Subject { get; }

    /// <summary>The grant type used: <c>authorization_code</c> or <c>refresh_token</c>.</summary>
    public string GrantType { get; }

    /// <summary>The scopes of the access token.</summary>
    public IReadOnlyList<string> Scopes { get; }

    /// <summary>The audiences of the access token: the MCP endpoints it is valid for.</summary>
    public IReadOnlyList<string> Audiences { get; }
}

/// <summary>A user is signing in through a remote scheme.</summary>
public sealed class SigningInContext
{
    internal SigningInContext(HttpContext httpContext, string scheme, System.Security.Claims.ClaimsPrincipal principal, string subject)
    {
        HttpContext = httpContext;
        Scheme = scheme;
        Principal = principal;
        Subject = subject;
    }

    /// <summary>The callback request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The remote scheme the user signed in with.</summary>
    public string Scheme { get; }

    /// <summary>The user as the remote scheme describes them (its claims, unfiltered).</summary>
    public System.Security.Claims.ClaimsPrincipal Principal { get; }

    /// <summary>The stable subject tokens will be issued for, derived from the upstream issuer and subject.</summary>
    public string Subject { get; }

    /// <summary>Why the user is refused, when <see cref="Refuse"/> was called.</summary>
    public string? RefusalReason { get; private set; }

    /// <summary>Keeps the user out. The reason is shown to the user and logged, so it must not contain secrets.</summary>
    /// <param name="reason">A sentence the user reads, e.g. "Only members of the MCP team may sign in."</param>
    public void Refuse(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        RefusalReason = reason;
    }
}

/// <summary>An MCP session started or ended.</summary>
public sealed class McpSessionEventContext
{
    internal McpSessionEventContext(McpSessionInfo session, McpSessionEndReason? endReason = null)
    {
        Session = session;
        EndReason = endReason;
    }

    /// <summary>The session.</summary>
    public McpSessionInfo Session { get; }

    /// <summary>Why the session ended (<see cref="McpOAuthEvents.OnSessionEnded"/>); null when it started.</summary>
    public McpSessionEndReason? EndReason { get; }
}

/// <summary>Why an MCP session ended (<see cref="McpSessionEventContext.EndReason"/>).</summary>
public enum McpSessionEndReason
{
    /// <summary>The client closed it: its SSE stream ended, or it sent DELETE.</summary>
    Closed,

    /// <summary>McpSseAuth ended it after <see cref="McpOAuthSessionOptions.IdleTimeout"/> without a request.</summary>
    Idle,

    /// <summary>Its grant was revoked: by the user, the client, a replayed token, or <see cref="IMcpUserAccess"/> (a user removed or refused).</summary>
    Revoked,

    /// <summary>Ended through <see cref="IMcpSessions"/>, or to make room for another client of the same user.</summary>
    Ended,
}

/// <summary>The session manager refused an MCP request.</summary>
public sealed class McpSessionRefusedContext
{
    internal McpSessionRefusedContext(HttpContext httpContext, string reason, int statusCode)
    {
        HttpContext = httpContext;
        Reason = reason;
        StatusCode = statusCode;
    }

    /// <summary>The refused request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>
    /// Why: <c>binding</c> (another user or client), <c>ended</c>, <c>sessions_per_user</c>, <c>sessions</c>,
    /// <c>in_flight</c> or <c>too_large</c>.
    /// </summary>
    public string Reason { get; }

    /// <summary>The HTTP status sent: 403, 404, 413, 429 or 503.</summary>
    public int StatusCode { get; }
}
