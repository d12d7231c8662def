using McpSseAuth.Gateway.Backends;
using McpSseAuth.Gateway.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks of the servers behind the gateway.</summary>
public static class McpGatewayHealthChecksBuilderExtensions
{
    /// <summary>The tag every check of a server behind the gateway carries.</summary>
    public const string Tag = "mcp-server";

    /// <summary>
    /// Adds a health check per enabled server behind the gateway, named <c>mcp-server:{name}</c> and tagged
    /// <see cref="Tag"/> and <paramref name="tags"/>: Unhealthy when a stdio server's command is not on the <c>PATH</c> or
    /// a remote server does not answer HTTP, Degraded when its last start failed. Map them, e.g.
    /// <c>app.MapHealthChecks("/health/ready", new() { Predicate = c =&gt; c.Tags.Contains("ready") })</c>.
    /// </summary>
    /// <param name="builder">The app's health checks.</param>
    /// <param name="tags">More tags for these checks, e.g. <c>ready</c>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddMcpGatewayServers(this IHealthChecksBuilder builder, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMcpGateway();
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(services => new ConfigureOptions<HealthCheckServiceOptions>(o =>
        {
            foreach (var backend in services.GetRequiredService<GatewayRoutes>().Backends)
            {
                var name = "mcp-server:" + backend.Name;
                if (o.Registrations.All(r => r.Name != name))
                {
                    o.Registrations.Add(new HealthCheckRegistration(
                        name,
                        sp => new BackendHealthCheck(backend, sp.GetRequiredService<BackendHealth>(), sp.GetRequiredService<IHttpClientFactory>()),
                        failureStatus: null,
                        tags: [Tag, .. tags]));
                }
            }
        }));
        return builder;
    }
}
