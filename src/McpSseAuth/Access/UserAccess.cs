using McpSseAuth.Grants;
using McpSseAuth.Sessions;
using McpSseAuth.UserTokens;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Access;

/// <summary>
/// <see cref="IMcpUserAccess"/>: revocations by an administrator or by the user (connected-apps page). Grants are revoked
/// first, so the grant's tokens stop working before anything else happens; sessions are then ended explicitly, so a
/// session whose grant is unknown to the grant list (or that has none) ends as well.
/// </summary>
internal sealed class UserAccess(
    IGrantStore grants,
    IConsentStore consents,
    GrantRevocation revocation,
    IGrantRevocations revocations,
    IUserSignOuts signOuts,
    UserSecrets secrets,
    McpSessionRegistry sessions,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    Telemetry.SecurityAudit audit) : IMcpUserAccess
{
    public async Task<IReadOnlyList<McpGrantInfo>> ListGrantsAsync(string subject, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        var live = new List<McpGrantInfo>();
        foreach (var grant in await grants.ListAsync(subject, cancellationToken))
        {
            if (!await revocations.IsRevokedAsync(grant.GrantId, cancellationToken))
            {
                live.Add(new McpGrantInfo(grant.GrantId, grant.Subject, grant.ClientId, grant.Scopes, grant.Resources, grant.CreatedAt, grant.LastUsedAt, grant.ExpiresAt));
            }
        }

        return [.. live.OrderBy(g => g.CreatedAt)];
    }

    public async Task<McpAccessRevocation> RevokeGrantAsync(string subject, string grantId, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.OAuthActivities.Start(Telemetry.OAuthActivities.AccessRevocation);
        activity?.SetTag(Telemetry.TelemetryTags.Reason, "operator");
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(grantId);
        var live = SessionsOf(subject, s => s.GrantId == grantId);
        var revoked = await RevokeGrantsAsync(subject, g => g.GrantId == grantId, cancellationToken);
        var result = new McpAccessRevocation(revoked, 0, End(live));
        await audit.RevokedAsync(subject, null, "grant", userRemoved: false, result);
        return result;
    }

    public Task<McpAccessRevocation> RevokeClientAsync(string subject, string clientId, CancellationToken cancellationToken = default)
        => RevokeClientAsync(subject, clientId, byUser: null, cancellationToken);

    /// <summary>As <see cref="RevokeClientAsync(string, string, CancellationToken)"/>; <paramref name="byUser"/> is the user's own request on the connected-apps page, null for an operator's call.</summary>
    public async Task<McpAccessRevocation> RevokeClientAsync(string subject, string clientId, Microsoft.AspNetCore.Http.HttpContext? byUser, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.OAuthActivities.Start(Telemetry.OAuthActivities.AccessRevocation);
        activity?.SetTag(Telemetry.TelemetryTags.Reason, byUser is null ? "operator" : "user");
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        var live = SessionsOf(subject, s => s.ClientId == clientId);
        // The consent goes first: a code redeemed meanwhile lists its grant, finds no consent and ends that grant itself
        // (TokenEndpoint); forgotten after, a grant listed between our listing and the removal would survive.
        var forgotten = await consents.RemoveAsync(subject, clientId, cancellationToken) ? 1 : 0;
        var revoked = await RevokeGrantsAsync(subject, g => g.ClientId == clientId, cancellationToken);
        var result = new McpAccessRevocation(revoked, forgotten, End(live));
        await (byUser is null
            ? audit.RevokedAsync(subject, clientId, "client " + Log.Short(clientId), userRemoved: false, result)
            : audit.WithdrawnByUserAsync(byUser, subject, clientId, result));
        return result;
    }

    public async Task<McpAccessRevocation> RemoveUserAsync(string subject, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.OAuthActivities.Start(Telemetry.OAuthActivities.AccessRevocation);
        activity?.SetTag(Telemetry.TelemetryTags.Reason, "user_removed");
        ArgumentException.ThrowIfNullOrEmpty(subject);

        // Sign-ins first: no new consent can be given while the rest is taken away.
        var now = time.GetUtcNow();
        await signOuts.SignOutEverywhereAsync(subject, now, now + options.Value.SignIn.Lifetime, cancellationToken);

        var live = SessionsOf(subject, _ => true);
        // Consents before grants, for the reason given in RevokeClientAsync.
        var forgotten = 0;
        foreach (var consent in await consents.ListAsync(subject, cancellationToken))
        {
            forgotten += await consents.RemoveAsync(subject, consent.ClientId, cancellationToken) ? 1 : 0;
        }

        var revoked = await RevokeGrantsAsync(subject, _ => true, cancellationToken);

        foreach (var slot in await secrets.ListAsync(subject, cancellationToken))
        {
            await secrets.RemoveAsync(subject, slot, cancellationToken);
        }

        var result = new McpAccessRevocation(revoked, forgotten, End(live));
        await audit.RevokedAsync(subject, null, "user removed", userRemoved: true, result);
        return result;
    }

    private async Task<int> RevokeGrantsAsync(string subject, Func<GrantRecord, bool> which, CancellationToken cancellationToken)
    {
        var revoked = 0;
        foreach (var grant in (await grants.ListAsync(subject, cancellationToken)).Where(which))
        {
            var wasLive = !await revocations.IsRevokedAsync(grant.GrantId, cancellationToken);
            await revocation.RevokeAsync(grant.GrantId, cancellationToken);
            revoked += wasLive ? 1 : 0;
        }

        return revoked;
    }

    // Listed before the grants are revoked (which already ends most of them), so each is counted once, however fast it ends.
    private List<McpSessionInfo> SessionsOf(string subject, Func<McpSessionInfo, bool> which) => [.. sessions.ListForUser(subject).Where(which)];

    private int End(List<McpSessionInfo> live) => live.Count(s => sessions.EndSession(s.SessionId) || sessions.WasEnded(s.SessionId));
}
