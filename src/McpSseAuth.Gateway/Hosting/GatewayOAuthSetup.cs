using McpSseAuth.Gateway.Backends;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>
/// What the servers behind the gateway ask of the authorization server: the scopes they require (with words for the
/// consent page, unless the host configured them), a service token per server whose settings name <c>{{token}}</c>, and
/// word of the sessions McpSseAuth ends (<see cref="SessionEnds"/>).
/// </summary>
internal sealed class GatewayOAuthSetup(IOptions<McpGatewayOptions> gateway, SessionEnds ends) : IPostConfigureOptions<McpOAuthOptions>
{
    public void PostConfigure(string? name, McpOAuthOptions options)
    {
        // The host's own handler first, then the gateway's: a session McpSseAuth ended stops its processes at once.
        var hostHandler = options.Events.OnSessionEnded;
        options.Events.OnSessionEnded = async context =>
        {
            await hostHandler(context);
            await ends.OnSessionEndedAsync(context);
        };

        McpGatewayOptions servers;
        try
        {
            servers = gateway.Value;
        }
        catch (OptionsValidationException)
        {
            return;   // the gateway's own check reports it, and stops the app; McpSseAuth's options get checked on their own
        }

        foreach (var (serverName, server) in servers.McpServers.Where(s => !s.Value.Disabled))
        {
            foreach (var scope in server.RequiredScopes.Where(s => !options.Scopes.Supported.Any(known => known.Name == s)))
            {
                options.Scopes.Add(scope, $"Use the {serverName} MCP server");
            }

            var service = server.UserToken?.Service ?? serverName;
            if ((server.UserToken is not null || UserValues.NeedsToken(server)) && !options.ServiceTokens.Any(t => string.Equals(t.Name, service, StringComparison.Ordinal)))
            {
                options.ServiceTokens.Add(new McpServiceTokenDefinition
                {
                    Name = service,
                    DisplayName = server.UserToken?.DisplayName ?? serverName,
                    Description = server.UserToken?.Description,
                    Format = server.UserToken?.Format,
                    HelpUrl = server.UserToken?.HelpUrl,
                    ConnectScheme = server.UserToken?.ConnectScheme,
                });
            }
        }
    }
}
