using System.ComponentModel;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// A host that adds the gateway to its own ASP.NET Core app, next to its own C# tools: each endpoint serves its own,
/// behind the same login.
/// </summary>
public sealed class HostToolsBesideTheGatewayTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
        => _host = await GatewayHost.StartAsync(
            o =>
            {
                o.McpServers["everything"] = Everything.Stdio();
                o.Aggregate.StreamablePath = "/all/mcp";
                o.Aggregate.SsePath = "/all/sse";
            },
            services: s => s.AddMcpServer().WithTools<HostTools>(),
            map: app => app.MapMcpSse("/own/mcp", "/own/sse"));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task TheHostsOwnTools_AndTheServersBehindTheGateway_EachStayOnTheirOwnEndpoints()
    {
        await using var own = await SdkClients.ConnectAsync(_host.Url("/own/mcp"), HttpTransportMode.StreamableHttp, "alice");
        await using var relayed = await SdkClients.ConnectAsync(_host.Url("/everything/sse"), HttpTransportMode.Sse, "alice");
        await using var aggregate = await SdkClients.ConnectAsync(_host.Url("/all/mcp"), HttpTransportMode.StreamableHttp, "alice");

        var ownTools = await own.ListToolsAsync();
        var relayedTools = await relayed.ListToolsAsync();
        Assert.Equal(["host_hello"], ownTools.Select(t => t.Name));
        Assert.Equal("hello alice", SdkClients.TextOf(await own.CallToolAsync("host_hello")));
        Assert.Contains(relayedTools, t => t.Name == "echo");
        Assert.DoesNotContain(relayedTools, t => t.Name == "host_hello");
        Assert.DoesNotContain(await aggregate.ListToolsAsync(), t => t.Name.Contains("host_hello", StringComparison.Ordinal));
    }

    [McpServerToolType]
    public sealed class HostTools
    {
        [McpServerTool(Name = "host_hello"), Description("The host's own tool.")]
        public static string Hello(RequestContext<ModelContextProtocol.Protocol.CallToolRequestParams> context) => "hello " + context.User?.FindFirst("sub")?.Value;
    }
}
