using McpSseAuth.Scopes;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// A call of a tool, prompt or resource whose scopes the token lacks gets 403 with an RFC 6750 §3.1
/// <c>insufficient_scope</c> challenge naming every scope needed (the token's and the missing ones), so the client
/// authorizes again with them (step-up, MCP authorization "Scope Challenge Handling"). The body is read only when something
/// requires a scope, and then only for the method and target (<see cref="McpMessage.PeekTargetAsync"/>), or not at all when a
/// 2026-07-28 request names them in its headers (<see cref="StandardHeaders"/>); the whole message is read only to refuse it.
/// </summary>
internal sealed class ScopeGuard(ScopeRequirements scopes, InsufficientScope refusal, McpRefusals refusals)
{
    /// <param name="context">The request.</param>
    /// <param name="legacySse">
    /// A legacy SSE message: its headers decide nothing, since only the Streamable HTTP transport holds them to the body.
    /// </param>
    public async Task<bool> AdmitsAsync(HttpContext context, bool legacySse = false)
    {
        if (!scopes.Any || !HttpMethods.IsPost(context.Request.Method))
        {
            return true;   // nothing requires a scope, or nothing to call
        }

        // A 2026-07-28 request names its method and target in headers that the SDK holds to the body; older ones are read.
        var peeked = (legacySse ? null : StandardHeaders.Read(context.Request)) ?? await McpMessage.PeekTargetAsync(context);
        McpMessage? message = null;
        if (!peeked.Clear && !peeked.Repeats)
        {
            // Names in another letter case, or not one object: decided on the SDK's own reading of the message.
            message = await McpMessage.ReadOnceAsync(context);
            peeked = message?.Method is not { } named ? new PeekTarget(true, null, null)
                : message.TryParameter(named == ModelContextProtocol.Protocol.RequestMethods.ResourcesRead ? "uri" : "name", out var target) ? new PeekTarget(true, named, target)
                : PeekTarget.Duplicate;
        }

        if (peeked.Repeats)
        {
            message ??= await McpMessage.ReadOnceAsync(context);
            await refusals.RefuseAsync(context, StatusCodes.Status400BadRequest, "malformed", "The message names a member twice; which one counts is not defined (RFC 8259 §4).", ModelContextProtocol.McpErrorCode.InvalidRequest, message?.RequestId ?? default);
            return false;
        }

        if (peeked.Method is not { } method)
        {
            return true;   // not a request: the SDK answers malformed messages itself
        }

        var required = scopes.For(method, peeked.Target);
        var missing = ScopeRequirements.Missing(context.User, required);
        if (missing.Length == 0)
        {
            return true;
        }

        // Refused in the JSON-RPC shape of the request: its id, from the whole message.
        message ??= await McpMessage.ReadOnceAsync(context);
        await refusal.RefuseAsync(context, missing, endpointWide: false, message?.RequestId ?? default, required);
        return false;
    }
}
