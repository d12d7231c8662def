namespace McpSseAuth;

/// <summary>
/// The host's say on whether a user may keep access, for users who live elsewhere (a database, a directory). Register
/// implementations in the service collection; each is asked, besides McpSseAuth's own rules (local users in
/// <see cref="McpOAuthOptions.Users"/>, <see cref="McpOAuthSignInOptions.AccessRules"/> for upstream users), at sign-in, at every
/// refresh and code redemption, on MCP requests and for live sessions. An answer is remembered for
/// <see cref="McpOAuthSignInOptions.UserStatusInterval"/>, so a user turned away here loses everything (grants, sessions,
/// sign-ins, stored tokens) within that time. Answer false only for users who lost access, not when your directory is
/// unreachable: throw then, and the request fails without ending anything.
/// </summary>
public interface IMcpUserStatus
{
    /// <summary>True while the user may keep access.</summary>
    /// <param name="user">Who is asked about.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the user may keep access.</returns>
    ValueTask<bool> IsActiveAsync(McpUserStatusContext user, CancellationToken cancellationToken);
}

/// <summary>A user asked about through <see cref="IMcpUserStatus"/>.</summary>
/// <param name="Subject">The token subject: the local user name, or <c>ext:</c>… for a user of an upstream identity provider.</param>
/// <param name="Email">The upstream user's e-mail address at their last sign-in, when the provider gave one; null for local users.</param>
/// <param name="Scheme">The sign-in scheme of an upstream user; null for local users.</param>
public sealed record McpUserStatusContext(string Subject, string? Email, string? Scheme);
