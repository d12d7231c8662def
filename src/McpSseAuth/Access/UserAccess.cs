using McpSseAuth.Grants;
using McpSseAuth.Sessions;
using McpSseAuth.UserTokens;
using Microsoft.Extensions.Logging;
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
    ILogger<UserAccess> logger) : IMcpUserAccess
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
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(grantId);
        var live = SessionsOf(subject, s => s.GrantId == grantId);
        var revoked = await RevokeGrantsAsync(subject, g => g.GrantId == grantId, cancellationToken);
        var ended = End(live);
        Log.AccessRevoked(logger, subject, "grant", revoked, 0, ended);
        return new McpAccessRevocation(revoked, 0, ended);
    }

    public async Task<McpAccessRevocation> RevokeClientAsync(string subject, string clientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        var live = SessionsOf(subject, s => s.ClientId == clientId);
        // The consent goes first: a code redeemed meanwhile lists its grant, finds no consent and ends that grant itself
        // (TokenEndpoint); forgotten after, a grant listed between our listing and the removal would survive.
        var forgotten = await consents.RemoveAsync(subject, clientId, cancellationToken) ? 1 : 0;
        var revoked = await RevokeGrantsAsync(subject, g => g.ClientId == clientId, cancellationToken);
        var ended = End(live);
        Log.AccessRevoked(logger, subject, "client " + Log.Short(clientId), revoked, forgotten, ended);
        return new McpAccessRevocation(revoked, forgotten, ended);
    }

    public async Task<McpAccessRevocation> RemoveUserAsync(string subject, CancellationToken cancellationToken = default)
    {
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

        var ended = End(live);
        Log.AccessRevoked(logger, subject, "user removed", revoked, forgotten, ended);
        return new McpAccessRevocation(revoked, forgotten, ended);
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
