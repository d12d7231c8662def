using McpSseAuth.Scopes;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Mcp;

/// <summary>
/// The requirements of the endpoint itself (<see cref="EndpointRequirements"/>), before anything else reads the request:
/// a user refused by its access rules gets 403 <c>access_denied</c> with the reason; a token without its scopes gets 403
/// with an RFC 6750 §3.1 <c>insufficient_scope</c> challenge naming them, so the client steps up.
/// </summary>
internal sealed class EndpointRequirementsGuard(IMcpAccessRules rules, InsufficientScope scopeRefusal, McpRefusals refusals)
{
    public async Task<bool> AdmitsAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetOrderedMetadata<EndpointRequirements>() is not { Count: > 0 } requirements)
        {
            return true;
        }

        foreach (var set in requirements)
        {
            if (set.Rules is not null && await rules.RefusalAsync(context.User, set.Rules, context.RequestAborted) is { } refusal)
            {
                await refusals.RefuseAsync(context, StatusCodes.Status403Forbidden, "access_denied", refusal);
                return false;
            }
        }

        var missing = ScopeRequirements.Missing(context.User, [.. requirements.SelectMany(r => r.Scopes).Distinct(StringComparer.Ordinal)]);
        if (missing.Length == 0)
        {
            return true;
        }

        await scopeRefusal.RefuseAsync(context, missing, endpointWide: true);
        return false;
    }
}
