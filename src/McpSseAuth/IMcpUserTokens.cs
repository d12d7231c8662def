using System.Security.Claims;

namespace McpSseAuth;

/// <summary>
/// Tokens a tool can use on the signed-in user's behalf: the upstream identity provider's access token (refreshed when
/// it expires) and the API tokens the user stored on the service-tokens page. Everything is kept encrypted with ASP.NET
/// Core Data Protection, bound to the user. Pass the principal of the MCP request (the tool's
/// <c>RequestContext.User</c>): its <c>sub</c> decides whose tokens are read. The MCP client's own access token is never
/// sent upstream, and these tokens are never given to the MCP client.
/// </summary>
public interface IMcpUserTokens
{
    /// <summary>
    /// The access token of the provider the user signed in with, refreshed first when it has expired or is about to.
    /// Null when the user signed in locally, the provider gave no token, or it expired and could not be refreshed
    /// (the user must sign in again).
    /// </summary>
    /// <param name="user">The MCP request's user.</param>
    /// <param name="cancellationToken">Cancels the lookup or refresh.</param>
    /// <returns>The access token, or null.</returns>
    ValueTask<string?> GetUpstreamAccessTokenAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="GetUpstreamAccessTokenAsync"/>, with the scheme that issued the token, so a tool calls that provider's
    /// APIs and no other when the server offers several.
    /// </summary>
    /// <param name="user">The MCP request's user.</param>
    /// <param name="cancellationToken">Cancels the lookup or refresh.</param>
    /// <returns>The token and its scheme, or null.</returns>
    ValueTask<McpUpstreamToken?> GetUpstreamTokenAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default);

    /// <summary>The user's token for a service of <see cref="McpOAuthOptions.ServiceTokens"/>, or null when none is stored.</summary>
    /// <param name="user">The MCP request's user.</param>
    /// <param name="service">The service name, e.g. <c>github</c>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The token, or null.</returns>
    /// <exception cref="ArgumentException">The service is not configured.</exception>
    ValueTask<string?> GetServiceTokenAsync(ClaimsPrincipal user, string service, CancellationToken cancellationToken = default);

    /// <summary>Stores (or replaces) the user's token for a configured service.</summary>
    /// <param name="user">The user, with a <c>sub</c> claim.</param>
    /// <param name="service">The service name.</param>
    /// <param name="token">The token: printable ASCII without spaces, at most 4,096 characters.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    /// <exception cref="ArgumentException">The service is not configured or the token is not acceptable.</exception>
    ValueTask SetServiceTokenAsync(ClaimsPrincipal user, string service, string token, CancellationToken cancellationToken = default);

    /// <summary>Deletes the user's token for a service.</summary>
    /// <param name="user">The user.</param>
    /// <param name="service">The service name.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>True when a token was deleted.</returns>
    ValueTask<bool> DeleteServiceTokenAsync(ClaimsPrincipal user, string service, CancellationToken cancellationToken = default);
}

/// <summary>An upstream access token and the sign-in scheme whose provider issued it.</summary>
/// <param name="Scheme">The authentication scheme the user signed in with (one of <see cref="McpOAuthSignInOptions.Schemes"/>).</param>
/// <param name="AccessToken">The access token, current (refreshed if it had expired).</param>
/// <param name="ExpiresAt">When it expires, if the provider said.</param>
public sealed record McpUpstreamToken(string Scheme, string AccessToken, DateTimeOffset? ExpiresAt);
