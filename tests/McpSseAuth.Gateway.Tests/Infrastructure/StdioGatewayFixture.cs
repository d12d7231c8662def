namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>
/// One gateway for a test class: server-everything as a stdio server named <c>everything</c> (each user's process gets
/// <c>GATEWAY_USER={{user.sub}}</c>), the same behind access rules letting only alice in (<c>alice_only</c>), and a
/// server whose command does not exist (<c>missing</c>), and one only the machine client <c>ci-job</c> may use (<c>machines</c>).
/// </summary>
public sealed class StdioGatewayFixture : IAsyncLifetime
{
    /// <summary>A variable of the gateway's own environment that no server process may see.</summary>
    public const string GatewaySecretVariable = "MCPSSEAUTH_GATEWAY_TEST_SECRET";

    /// <summary>A configured machine client (client_credentials), the only caller <c>machines</c> lets in.</summary>
    public const string MachineClientId = "ci-job";

    public const string MachineSecret = "ci-job-secret-0123456789abcdef0123456789";

    public GatewayHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(GatewaySecretVariable, "not-for-servers");
        Host = await GatewayHost.StartAsync(o =>
        {
            o.McpServers["everything"] = Everything.Stdio(("GATEWAY_USER", "{{user.sub}}"));
            var restricted = Everything.Stdio();
            restricted.AccessRules.AllowedUsers.Add("alice");
            o.McpServers["alice_only"] = restricted;
            o.McpServers["missing"] = new McpGatewayServer { Command = "mcpsseauth-no-such-command" };
            var machines = Everything.Stdio();
            machines.AccessRules.AllowedUsers.Add("client:" + MachineClientId);
            o.McpServers["machines"] = machines;
            var scoped = Everything.Stdio();
            scoped.RequiredScopes.Add("files:read");
            o.McpServers["scoped"] = scoped;
        }, oauth: o =>
        {
            var ci = new McpOAuthClient { ClientId = MachineClientId, ClientSecret = MachineSecret };
            ci.GrantTypes.Add("client_credentials");
            o.Clients.Add(ci);
        });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
