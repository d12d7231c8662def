using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>A small app a test plays a party with (a provider, a bare MCP server): Kestrel on 127.0.0.1, a free port, no logs.</summary>
public static class LoopbackApp
{
    /// <summary>Builds with <paramref name="services"/>, maps with <paramref name="map"/>, starts; the app and its address.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<IServiceCollection> services, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        services(builder.Services);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }
}
