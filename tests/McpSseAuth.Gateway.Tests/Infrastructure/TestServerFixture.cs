namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>
/// One gateway in front of tests/e2e-ts/test-server.mjs (a real TypeScript SDK server with tools that misbehave on
/// purpose and send notifications on demand): <c>test</c>, shared per user, with a 2-second request timeout; and
/// <c>stubborn</c>, which ignores termination, one process per session, with a 1-second shutdown timeout.
/// </summary>
public sealed class TestServerFixture : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public static McpGatewayServer Server(params string[] arguments)
    {
        var server = new McpGatewayServer { Command = "node", Cwd = Everything.Folder };
        server.Args.Add(Path.Combine(Everything.Folder, "test-server.mjs"));
        foreach (var argument in arguments)
        {
            server.Args.Add(argument);
        }

        return server;
    }

    public async Task InitializeAsync()
    {
        Host = await GatewayHost.StartAsync(o =>
        {
            var test = Server();
            test.RequestTimeout = TimeSpan.FromSeconds(2);
            o.McpServers["test"] = test;
            var stubborn = Server("--ignore-termination");
            stubborn.Isolation = McpGatewayIsolation.PerSession;
            o.McpServers["stubborn"] = stubborn;
            o.Processes.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
