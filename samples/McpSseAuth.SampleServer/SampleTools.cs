using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.SampleServer;

/// <summary>Tools that show who is calling.</summary>
[McpServerToolType]
public sealed class SampleTools
{
    /// <summary>Says who the caller is: user, client and granted scopes, as carried by the access token.</summary>
    [McpServerTool(Name = "whoami"), Description("Returns the signed-in user, the OAuth client and the granted scopes.")]
    public static string WhoAmI(RequestContext<CallToolRequestParams> context)
    {
        var user = context.User;
        var name = user?.FindFirst("name")?.Value ?? user?.FindFirst("sub")?.Value ?? "(anonymous)";
        var clientId = user?.FindFirst("client_id")?.Value ?? "(none)";
        var scope = user?.FindFirst("scope")?.Value ?? "";
        return $"user={name}; sub={user?.FindFirst("sub")?.Value}; client_id={clientId}; scope={scope}";
    }

    /// <summary>Echoes a message back.</summary>
    [McpServerTool(Name = "echo"), Description("Echoes the message back.")]
    public static string Echo([Description("The message to echo.")] string message) => message;
}
