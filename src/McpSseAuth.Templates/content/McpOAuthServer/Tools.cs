using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpOAuthServer;

/// <summary>The MCP tools of this server. Each call carries the signed-in user and the client in its access token.</summary>
[McpServerToolType]
public sealed class Tools
{
    /// <summary>Says who is calling: the user and the client, as the access token carries them.</summary>
    [McpServerTool(Name = "whoami"), Description("Returns the signed-in user and the OAuth client calling.")]
    public static string WhoAmI(RequestContext<CallToolRequestParams> context)
    {
        var user = context.User;
        return $"user={user?.Identity?.Name ?? user?.FindFirst("sub")?.Value}; client_id={user?.FindFirst("client_id")?.Value}";
    }

    // A tool that needs more than the default scope (mcp:tools): declare the scope in McpOAuth:Scopes:Supported, then
    // [McpServerTool, McpRequiredScopes("mcp:admin")] — clients without it get 403 insufficient_scope and ask the user again.
}
