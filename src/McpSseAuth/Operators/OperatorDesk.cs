using McpSseAuth.Access;
using McpSseAuth.Clients;
using McpSseAuth.Users;

namespace McpSseAuth.Operators;

/// <summary>
/// What the operator's pages and API show and do, in one place: users from <see cref="UserDirectory"/> with their grants
/// (<see cref="UserAccess"/>) and this instance's live sessions, the configured and registered clients, and the
/// revocations, each of which <see cref="UserAccess"/> carries out and audits.
/// </summary>
internal sealed class OperatorDesk(UserDirectory directory, UserAccess access, IMcpSessions sessions, ConfiguredClients configured, ClientStore registered, IClientStore clients)
{
    public const string UnknownUser = "This server knows no such user: nobody with that subject signed in, holds a grant or has a session here.";

    public async Task<IReadOnlyList<OperatorUser>> UsersAsync(CancellationToken cancellationToken)
        => [.. (await directory.ListAsync(cancellationToken)).Select(u => new OperatorUser(u.Subject, u.Name, u.Method, u.LastSignInAt, sessions.ListForUser(u.Subject).Count))];

    /// <summary>The user with their grants and sessions; null when the server knows nothing of them.</summary>
    public async Task<OperatorUserDetail?> UserAsync(string subject, CancellationToken cancellationToken)
    {
        var known = await directory.FindAsync(subject, cancellationToken);
        var grants = await access.ListGrantsAsync(subject, cancellationToken);
        var live = sessions.ListForUser(subject);
        if (known is null && grants.Count == 0 && live.Count == 0)
        {
            return null;
        }

        var names = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var clientId in grants.Select(g => g.ClientId).Distinct(StringComparer.Ordinal))
        {
            names[clientId] = (await clients.FindAsync(clientId, cancellationToken))?.ClientName;
        }

        return new OperatorUserDetail(
            new OperatorUser(subject, known?.Name ?? subject, known?.Method, known?.LastSignInAt, live.Count),
            [.. grants.Select(g => new OperatorGrant(g.GrantId, g.ClientId, names[g.ClientId], g.Scopes, g.Resources, g.CreatedAt, g.LastUsedAt, g.ExpiresAt))],
            [.. live.Select(s => new OperatorSession(s.SessionId, s.Transport == McpSessionTransport.Sse ? "sse" : "streamable_http", s.ClientId, s.GrantId, s.CreatedAt, s.LastActivityAt))]);
    }

    /// <summary>The configured clients, then the registered ones, most recently used first.</summary>
    public async Task<IReadOnlyList<OperatorClient>> ClientsAsync(CancellationToken cancellationToken)
        => [
            .. configured.All.OrderBy(c => c.ClientId, StringComparer.Ordinal).Select(c => new OperatorClient(c.ClientId, c.ClientName, "configured", c.RedirectUris, null, null)),
            .. (await registered.ListAsync(cancellationToken))
                .OrderByDescending(s => s.LastUsedAt ?? DateTimeOffset.MinValue).ThenByDescending(s => s.Client.IssuedAt)
                .Select(s => new OperatorClient(s.Client.ClientId, s.Client.ClientName, "registered", s.Client.RedirectUris, s.Client.IssuedAt, s.LastUsedAt)),
        ];

    public Task<McpAccessRevocation> RevokeGrantAsync(string subject, string grantId, CancellationToken cancellationToken)
        => access.RevokeGrantAsync(subject, grantId, cancellationToken);

    public Task<McpAccessRevocation> RevokeClientAsync(string subject, string clientId, CancellationToken cancellationToken)
        => access.RevokeClientAsync(subject, clientId, cancellationToken);

    /// <summary>Ends one of the user's sessions on this instance; a session of another user is left alone.</summary>
    public McpAccessRevocation EndSession(string subject, string sessionId)
        => new(0, 0, sessions.ListForUser(subject).Any(s => s.SessionId == sessionId) && sessions.EndSession(sessionId) ? 1 : 0);

    /// <summary>Removes everything the user holds (<see cref="IMcpUserAccess.RemoveUserAsync"/>); they leave the list until they sign in again.</summary>
    public async Task<McpAccessRevocation> RemoveUserAsync(string subject, CancellationToken cancellationToken)
    {
        var removed = await access.RemoveUserAsync(subject, cancellationToken);
        await directory.ForgetAsync(subject, cancellationToken);
        return removed;
    }
}
