namespace McpSseAuth;

/// <summary>A grant a user gave a client: one per authorization code redeemed, renewed by each refresh.</summary>
/// <param name="GrantId">The grant id, carried by every token issued under it.</param>
/// <param name="Subject">The user (<c>sub</c>).</param>
/// <param name="ClientId">The OAuth client holding it.</param>
/// <param name="Scopes">The scopes granted.</param>
/// <param name="Resources">The resources (audiences) granted.</param>
/// <param name="CreatedAt">When the code was redeemed.</param>
/// <param name="LastUsedAt">When it was last used: tokens issued under it (code or refresh), or its access token at an MCP endpoint (to within five minutes).</param>
/// <param name="ExpiresAt">When nothing issued under it can be valid any more.</param>
public sealed record McpGrantInfo(
    string GrantId,
    string Subject,
    string ClientId,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Resources,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUsedAt,
    DateTimeOffset ExpiresAt);

/// <summary>What a revocation through <see cref="IMcpUserAccess"/> ended.</summary>
/// <param name="GrantsRevoked">Grants revoked: their refresh tokens are refused, their access tokens get 401 on their next use.</param>
/// <param name="ConsentsForgotten">Remembered consents forgotten: the client must ask the user again.</param>
/// <param name="SessionsEnded">Live MCP sessions ended: SSE streams closed, Streamable HTTP sessions over.</param>
public sealed record McpAccessRevocation(int GrantsRevoked, int ConsentsForgotten, int SessionsEnded);

/// <summary>
/// Administration of what users gave clients, for an admin page or API of the application (which decides who may call
/// it): list a user's grants, revoke a client's access, revoke one grant, remove a user. Every revocation takes effect
/// at once: refresh tokens are refused, access tokens get 401 on their next request, live MCP sessions end.
/// </summary>
public interface IMcpUserAccess
{
    /// <summary>The user's grants that are neither revoked nor expired.</summary>
    /// <param name="subject">The user's <c>sub</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The grants, oldest first.</returns>
    Task<IReadOnlyList<McpGrantInfo>> ListGrantsAsync(string subject, CancellationToken cancellationToken = default);

    /// <summary>Revokes one grant and ends its sessions. The user's consent stays: the client may ask again without a prompt.</summary>
    /// <param name="subject">The user the grant belongs to; a grant of another user is left alone.</param>
    /// <param name="grantId">The grant id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was ended.</returns>
    Task<McpAccessRevocation> RevokeGrantAsync(string subject, string grantId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes every grant the user gave the client, ends their sessions and forgets the consent, so the client must ask
    /// again (what the user's own connected-apps page does).
    /// </summary>
    /// <param name="subject">The user's <c>sub</c>.</param>
    /// <param name="clientId">The client id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was ended.</returns>
    Task<McpAccessRevocation> RevokeClientAsync(string subject, string clientId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes everything the user holds here: every grant revoked, every consent forgotten, upstream and service tokens
    /// deleted, every MCP session ended, and every sign-in to the authorization server ended (its cookies are refused).
    /// The user may sign in again if the sign-in still lets them in: to keep someone out, also remove them from
    /// <see cref="McpOAuthOptions.Users"/>, the upstream provider or <see cref="McpOAuthSignInOptions.AccessRules"/>.
    /// </summary>
    /// <param name="subject">The user's <c>sub</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was ended.</returns>
    Task<McpAccessRevocation> RemoveUserAsync(string subject, CancellationToken cancellationToken = default);
}
