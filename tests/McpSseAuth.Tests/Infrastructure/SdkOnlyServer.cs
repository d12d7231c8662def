using McpSseAuth.SampleServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// The sample's MCP server as the SDK alone serves it — same tools, same transports and session mode as McpSseAuth sets,
/// no McpSseAuth — on Kestrel at 127.0.0.1: what a conformance result of the protected sample is compared with.
/// </summary>
public sealed class SdkOnlyServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SdkOnlyServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<SdkOnlyServer> StartAsync()
    {
        var (app, address) = await LoopbackApp.StartAsync(
            services =>
            {
#pragma warning disable MCP9004 // legacy SSE, as McpSseAuth turns it on
                services.AddMcpServer()
                    .WithHttpTransport(o =>
                    {
                        o.EnableLegacySse = true;
                        o.SessionMode = ModelContextProtocol.AspNetCore.HttpServerSessionMode.StatefulForInitializeClients;
                    })
                    .WithTools<SampleTools>();
#pragma warning restore MCP9004
            },
            app => app.MapMcp("/mcp"));
        return new SdkOnlyServer(app, address);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
