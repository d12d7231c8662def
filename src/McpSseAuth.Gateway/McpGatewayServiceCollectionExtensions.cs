using McpSseAuth;
using McpSseAuth.Gateway;
using McpSseAuth.Gateway.Backends;
using McpSseAuth.Gateway.Hosting;
using McpSseAuth.Gateway.Relay;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the MCP gateway to an app that uses McpSseAuth.</summary>
public static class McpGatewayServiceCollectionExtensions
{
    /// <summary>
    /// Adds the gateway (and McpSseAuth, if not added yet): the servers behind it come from <paramref name="configure"/>.
    /// Safe to call twice; the options are checked at startup. Then call <c>app.MapMcpGateway()</c>.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Configures the gateway.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMcpGateway(this IServiceCollection services, Action<McpGatewayOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddMcpGateway().Configure(configure);
    }

    /// <summary>Adds the gateway (and McpSseAuth, if not added yet), with its servers configured elsewhere.</summary>
    /// <param name="services">The app's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMcpGateway(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMcpOAuth();
        if (services.Any(d => d.ServiceType == typeof(GatewayRoutes)))
        {
            return services;
        }

        services.AddOptions<McpGatewayOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpGatewayOptions>, McpGatewayOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<McpOAuthOptions>, GatewayOAuthSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HttpServerTransportOptions>, GatewaySessionSetup>());
        services.AddHttpClient(BackendTransports.HttpClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)   // streams last; requests time out per McpGatewayServer.RequestTimeout
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GatewayRoutes>();
        services.TryAddSingleton<BackendTransports>();
        services.TryAddSingleton<BackendLinks>();
        services.TryAddSingleton<BackendHealth>();
        services.TryAddSingleton<SessionEnds>();
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton<BackendAccess>();
        services.TryAddSingleton<BackendRelay>();
        services.TryAddSingleton<AggregateRelay>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LinkReaper>());
        return services;
    }

    /// <summary>
    /// Adds the gateway with its servers from configuration: the <c>mcpServers</c> section as Claude Desktop, Claude Code
    /// and Cursor write it (with the gateway's settings for a server beside <c>command</c>/<c>url</c>), and the
    /// <c>gateway</c> section for the rest (<see cref="McpGatewayOptions.Aggregate"/>, <see cref="McpGatewayOptions.Processes"/>).
    /// Secrets come from wherever the configuration does (user secrets, environment variables), never from the file.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configuration">The configuration holding <c>mcpServers</c> and <c>gateway</c>.</param>
    /// <returns>The services. Call <see cref="AddMcpGateway(IServiceCollection, Action{McpGatewayOptions})"/> as well to configure more in code.</returns>
    public static IServiceCollection AddMcpGateway(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddMcpGateway(options =>
        {
            configuration.GetSection("gateway").Bind(options);
            configuration.GetSection("mcpServers").Bind(options.McpServers);
        });
    }
}
