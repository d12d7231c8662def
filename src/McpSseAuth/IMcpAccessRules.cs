using System.Security.Claims;

namespace McpSseAuth;

/// <summary>
/// Checks a user against a set of <see cref="McpOAuthAccessRules"/> other than the server's sign-in rules, e.g. the rules
/// of one MCP endpoint (<c>RequireMcpAccessRules</c>) or of one backend behind a gateway. An upstream user is checked as
/// last seen at sign-in (e-mail, hosted domain, groups, roles); a local user or a configured client matches only
/// <see cref="McpOAuthAccessRules.AllowedUsers"/> by name (<c>client:</c> and the client id for a client), as they carry
/// no e-mail or groups. Answers are remembered per user and rules for <see cref="McpOAuthSignInOptions.UserStatusInterval"/>.
/// </summary>
public interface IMcpAccessRules
{
    /// <summary>Null when the user passes <paramref name="rules"/>; otherwise why not, in words to show the user.</summary>
    /// <param name="user">The principal of an MCP request (its <c>sub</c> claim names the user).</param>
    /// <param name="rules">The rules; none set lets everyone in.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The refusal, or null.</returns>
    ValueTask<string?> RefusalAsync(ClaimsPrincipal user, McpOAuthAccessRules rules, CancellationToken cancellationToken = default);
}
