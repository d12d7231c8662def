using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>
/// An ASP.NET Core app with McpSseAuth and the gateway on real Kestrel, on a loopback port: local users alice and bob
/// (password = name), state in memory, every log line kept (<see cref="Logs"/>) to check what is and is not written.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, LogSink logs)
    {
        _app = app;
        Logs = logs;
    }

    public LogSink Logs { get; }

    public IServiceProvider Services => _app.Services;

    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public Uri Url(string path) => new(BaseAddress, path);

    public static async Task<GatewayHost> StartAsync(Action<McpGatewayOptions> gateway, Action<McpOAuthOptions>? oauth = null, Action<IServiceCollection>? services = null, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var logs = new LogSink();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddMcpOAuth(o =>
        {
            o.AddUser("alice", "alice").AddUser("bob", "bob");
            o.Signing.KeyDirectory = null;
            // Every test registers clients from one address.
            o.Registration.MaxPerAddress = 100_000;
            oauth?.Invoke(o);
        });
        builder.Services.AddMcpGateway(gateway);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapMcpGateway();
        map?.Invoke(app);
        await app.StartAsync();
        return new GatewayHost(app, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
