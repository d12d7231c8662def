using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore.Authentication;

namespace McpSseAuth.Discovery;

/// <summary>
/// Configures the SDK's MCP authentication scheme, whose handler is ours (<c>Validation/McpOAuthChallengeHandler</c>):
/// authentication forwarded to the bearer scheme (McpBearerHandler). The metadata documents its challenges point to are
/// served by <see cref="ProtectedResourceMetadataEndpoint"/>.
/// </summary>
internal sealed class ProtectedResourceMetadataSetup : IConfigureNamedOptions<McpAuthenticationOptions>
{
    public void Configure(McpAuthenticationOptions mcp) => Configure(Options.DefaultName, mcp);

    public void Configure(string? name, McpAuthenticationOptions mcp)
    {
        if (name == McpAuthenticationDefaults.AuthenticationScheme)
        {
            mcp.ForwardAuthenticate = McpOAuthDefaults.BearerScheme;
        }
    }
}
