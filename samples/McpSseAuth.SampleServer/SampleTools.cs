using System.ComponentModel;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
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

    /// <summary>
    /// Needs the extra scope <c>mcp:admin</c>: a client whose token lacks it gets 403 <c>insufficient_scope</c> and asks the
    /// user again for it (step-up); it stays listed so clients can discover it.
    /// </summary>
    [McpServerTool(Name = "server_stats"), Description("Returns how many MCP sessions the signed-in user holds open (needs the mcp:admin scope).")]
    [McpRequiredScopes(SampleScopes.Admin)]
    public static string ServerStats(RequestContext<CallToolRequestParams> context, IMcpSessions sessions)
    {
        var subject = context.User?.FindFirst("sub")?.Value ?? "";
        var open = sessions.ListForUser(subject);
        return $"sessions={open.Count}; sse={open.Count(s => s.Transport == McpSessionTransport.Sse)}; streamable={open.Count(s => s.Transport == McpSessionTransport.StreamableHttp)}";
    }

    /// <summary>
    /// Calls the upstream provider's userinfo endpoint with the user's upstream access token (refreshed when expired):
    /// how a tool acts on the user's behalf without ever seeing, or forwarding, the MCP client's token.
    /// </summary>
    [McpServerTool(Name = "upstream_userinfo"), Description("Returns what the upstream identity provider says about the signed-in user, fetched with their upstream access token.")]
    public static async Task<string> UpstreamUserInfo(
        RequestContext<CallToolRequestParams> context,
        IMcpUserTokens tokens,
        IOptionsMonitor<OpenIdConnectOptions> oidc,
        IHttpClientFactory httpClients,
        CancellationToken cancellationToken)
    {
        var user = context.User ?? throw new McpException("No user.");
        var upstream = await tokens.GetUpstreamTokenAsync(user, cancellationToken);
        if (upstream is null)
        {
            return "No upstream access token: sign in through the identity provider (not a local account), or sign in again.";
        }

        // The provider that issued this token, and no other.
        var options = oidc.Get(upstream.Scheme);
        var configuration = await (options.ConfigurationManager ?? throw new McpException("The sign-in scheme is not OpenID Connect.")).GetConfigurationAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, configuration.UserInfoEndpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", upstream.AccessToken);
        using var response = await httpClients.CreateClient().SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode
            ? await response.Content.ReadAsStringAsync(cancellationToken)
            : $"The provider refused the upstream token: HTTP {(int)response.StatusCode}.";
    }

    /// <summary>Says whether the user stored a GitHub token on the service-tokens page, without revealing it.</summary>
    [McpServerTool(Name = "github_token_status"), Description("Says whether you stored a GitHub token on the service-tokens page.")]
    public static async Task<string> GitHubTokenStatus(RequestContext<CallToolRequestParams> context, IMcpUserTokens tokens, CancellationToken cancellationToken)
    {
        var token = await tokens.GetServiceTokenAsync(context.User ?? throw new McpException("No user."), "github", cancellationToken);
        return token is null
            ? "No GitHub token stored. Add one on the service-tokens page (/oauth/tokens)."
            : "A GitHub token is stored; a real tool would now call the GitHub API with it.";
    }

    /// <summary>Echoes a message back.</summary>
    [McpServerTool(Name = "echo"), Description("Echoes the message back.")]
    public static string Echo([Description("The message to echo.")] string message) => message;
}

/// <summary>The sample's scopes beyond the default <c>mcp:tools</c>.</summary>
public static class SampleScopes
{
    /// <summary>Administrative tools; asked for only when such a tool is called (step-up).</summary>
    public const string Admin = "mcp:admin";
}
