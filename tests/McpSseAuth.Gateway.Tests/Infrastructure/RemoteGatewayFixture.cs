namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>
/// One gateway in front of remote servers: server-everything over legacy SSE (<c>everything_sse</c>) and over Streamable
/// HTTP (<c>everything_http</c>, and again as <c>filtered</c>: only <c>echo</c> and <c>get-*</c> but <c>get-env</c>), and <see cref="HeaderEchoServer"/> (<c>echo</c>) with a static API key, the user's
/// subject and the user's own stored token in its headers.
/// </summary>
public sealed class RemoteGatewayFixture : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public HeaderEchoServer Echo { get; private set; } = null!;

    private Everything.RemoteServer _sse = null!;
    private Everything.RemoteServer _http = null!;

    public async Task InitializeAsync()
    {
        var sse = Everything.StartRemoteAsync("sse");
        var http = Everything.StartRemoteAsync("streamableHttp");
        var echo = HeaderEchoServer.StartAsync();
        (_sse, _http, Echo) = (await sse, await http, await echo);
        Host = await GatewayHost.StartAsync(o =>
        {
            o.McpServers["everything_sse"] = new McpGatewayServer { Type = "sse", Url = _sse.Url };
            o.McpServers["everything_http"] = new McpGatewayServer { Type = "http", Url = _http.Url };
            var filtered = new McpGatewayServer { Type = "http", Url = _http.Url };
            filtered.Tools.Allow.Add("get-*");
            filtered.Tools.Allow.Add("echo");
            filtered.Tools.Block.Add("get-env");
            o.McpServers["filtered"] = filtered;
            var echoServer = new McpGatewayServer { Type = "http", Url = Echo.Url, UserToken = new McpGatewayUserToken { DisplayName = "Echo API", Description = "Any token: the echo server shows it back." } };
            echoServer.Headers["X-Api-Key"] = "static-key";
            echoServer.Headers["X-User"] = "{{user.sub}}";
            echoServer.Headers["Authorization"] = "Bearer {{token}}";
            o.McpServers["echo"] = echoServer;
        });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Echo.DisposeAsync();
        await _sse.DisposeAsync();
        await _http.DisposeAsync();
    }
}
