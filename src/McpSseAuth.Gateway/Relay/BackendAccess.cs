using System.Security.Claims;
using McpSseAuth.Gateway.Backends;

namespace McpSseAuth.Gateway.Relay;

/// <summary>
/// Whether a user may use a server through the aggregated endpoint: the same access rules and scopes its own endpoint
/// requires (there, McpSseAuth's endpoint guard answers 403), so the aggregate is never a way around them.
/// </summary>
internal sealed class BackendAccess(IMcpAccessRules rules)
{
    public async ValueTask<bool> MayUseAsync(BackendRoute backend, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var server = backend.Server;
        if (server.RequiredScopes.Count > 0)
        {
            var held = (user.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!server.RequiredScopes.All(s => held.Contains(s, StringComparer.Ordinal)))
            {
                return false;
            }
        }

        return !server.AccessRules.HasRules || await rules.RefusalAsync(user, server.AccessRules, cancellationToken) is null;
    }
}
