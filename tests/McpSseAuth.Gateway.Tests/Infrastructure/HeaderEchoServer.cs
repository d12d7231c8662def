using System.Collections.Concurrent;
using System.ComponentModel;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>
/// A real MCP server (the C# SDK, Streamable HTTP with sessions, on a loopback port) whose tool <c>request_headers</c>
/// answers with the HTTP headers its request arrived with — what the gateway sends a remote server — and which can be made
/// to forget every session it has handed out (<see cref="ForgetSessions"/>), as a restarted server does.
/// </summary>
public sealed class HeaderEchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, bool> _sessions = new(StringComparer.Ordinal);
    private int _refused;

    private HeaderEchoServer(WebApplication app) => _app = app;

    public Uri Url => new(new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/mcp");

    /// <summary>Requests answered 404 because they named a forgotten session.</summary>
    public int Refused => _refused;

    public static async Task<HeaderEchoServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddMcpServer().WithHttpTransport(o => o.SessionMode = HttpServerSessionMode.Stateful).WithTools<EchoTools>();
        var app = builder.Build();
        var server = new HeaderEchoServer(app);
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.TryGetValue("Mcp-Session-Id", out var id) && server._sessions.TryGetValue(id.ToString(), out var forgotten) && forgotten)
            {
                Interlocked.Increment(ref server._refused);
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            context.Response.OnStarting(() =>
            {
                if (context.Response.Headers.TryGetValue("Mcp-Session-Id", out var issued))
                {
                    server._sessions.TryAdd(issued.ToString(), false);
                }

                return Task.CompletedTask;
            });
            await next(context);
        });
        app.MapMcp("/mcp");
        await app.StartAsync();
        return server;
    }

    /// <summary>From now on, every session handed out so far is unknown (404), as after a restart.</summary>
    public void ForgetSessions()
    {
        foreach (var id in _sessions.Keys)
        {
            _sessions[id] = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [McpServerToolType]
    public sealed class EchoTools
    {
        [McpServerTool(Name = "request_headers"), Description("The HTTP headers of the request that carried this call.")]
        public static string RequestHeaders(IHttpContextAccessor accessor)
            => JsonSerializer.Serialize(accessor.HttpContext!.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
    }
}
