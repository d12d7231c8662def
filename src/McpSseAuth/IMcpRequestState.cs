using System.Security.Claims;

namespace McpSseAuth;

/// <summary>
/// Seals the <c>requestState</c> a tool hands a 2026-07-28 client to echo back on its next round trip (multi round-trip
/// requests, SEP-2322: <c>InputRequiredException</c> / <c>RequestParams.RequestState</c>). The client must treat it as
/// opaque, but it is in the client's hands: sealed with ASP.NET Core Data Protection (encrypted and authenticated) and
/// bound to the user and the client of the request, to the operation it was made for and to an expiry, so a state that was
/// changed, made for another user, client or operation, or kept too long is refused when it comes back.
/// </summary>
public interface IMcpRequestState
{
    /// <summary>Seals <paramref name="state"/> for the caller of the current request.</summary>
    /// <param name="user">The MCP request's user (the tool's <c>RequestContext.User</c>).</param>
    /// <param name="operation">What the state is for, e.g. the tool's name: a state is opened only for the same operation.</param>
    /// <param name="state">The state itself, any text.</param>
    /// <param name="lifetime">How long the state may come back; default 10 minutes.</param>
    /// <returns>The sealed state, to return as <c>requestState</c>.</returns>
    /// <exception cref="InvalidOperationException">The user is not an MCP caller signed in through McpSseAuth (no subject or client).</exception>
    string Seal(ClaimsPrincipal user, string operation, string state, TimeSpan? lifetime = null);

    /// <summary>
    /// The state sealed by <see cref="Seal"/>, or null when <paramref name="sealedState"/> is missing, was changed, has
    /// expired, or was sealed for another user, client or operation. Never throws for what a client sent.
    /// </summary>
    /// <param name="user">The MCP request's user.</param>
    /// <param name="operation">The operation the state must have been sealed for.</param>
    /// <param name="sealedState">What the client echoed back (<c>RequestParams.RequestState</c>).</param>
    /// <returns>The state, or null.</returns>
    string? Open(ClaimsPrincipal user, string operation, string? sealedState);
}
