using McpSseAuth;
using McpSseAuth.Enterprise;
using McpSseAuth.Health;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks of what McpSseAuth depends on, for readiness probes.</summary>
public static class McpOAuthHealthChecksBuilderExtensions
{
    /// <summary>The tag every check of McpSseAuth carries.</summary>
    public const string Tag = "mcpsseauth";

    /// <summary>
    /// Adds McpSseAuth's health checks, tagged <see cref="Tag"/> and <paramref name="tags"/> (e.g. <c>ready</c>), each with a
    /// 5-second timeout: <c>mcpsseauth:storage</c> (an entry written and read back), <c>mcpsseauth:signing-keys</c> (the key
    /// this instance signs with is in the ring and not past its time; its successor published once due), <c>mcpsseauth:bus</c>
    /// (a ping comes back), and a check per upstream OpenID Connect sign-in scheme (<c>mcpsseauth:upstream:{scheme}</c>) and
    /// per enterprise provider read from its metadata (<c>mcpsseauth:enterprise:{name}</c>) that their discovery document
    /// answers — Degraded, not Unhealthy, when it does not. They check dependencies, so map them for readiness, and keep
    /// liveness free of them:
    /// <c>app.MapHealthChecks("/health/ready", new() { Predicate = c =&gt; c.Tags.Contains("ready") })</c> and
    /// <c>app.MapHealthChecks("/health/live", new() { Predicate = _ =&gt; false })</c>. Safe to call twice.
    /// </summary>
    /// <param name="builder">The app's health checks.</param>
    /// <param name="tags">More tags for these checks, e.g. <c>ready</c>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddMcpOAuthChecks(this IHealthChecksBuilder builder, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMcpOAuth();
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(services => new ConfigureOptions<HealthCheckServiceOptions>(o =>
        {
            string[] all = [Tag, .. tags];
            Add(o, "mcpsseauth:storage", sp => ActivatorUtilities.CreateInstance<StorageHealthCheck>(sp), HealthStatus.Unhealthy, all);
            Add(o, "mcpsseauth:signing-keys", sp => ActivatorUtilities.CreateInstance<SigningKeyHealthCheck>(sp), HealthStatus.Unhealthy, all);
            Add(o, "mcpsseauth:bus", sp => ActivatorUtilities.CreateInstance<BusHealthCheck>(sp), HealthStatus.Unhealthy, all);

            var options = services.GetRequiredService<IOptions<McpOAuthOptions>>().Value;
            var oidc = services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>();
            foreach (var scheme in options.SignIn.Schemes)
            {
                // Only OpenID Connect schemes have a discovery document (their options name one once post-configured).
                var configured = oidc.Get(scheme);
                if (configured.MetadataAddress is not null || configured.Authority is not null)
                {
                    Add(o, "mcpsseauth:upstream:" + scheme, sp => new DiscoveryHealthCheck(
                        "The sign-in scheme " + scheme,
                        s => s.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(scheme) is var current ? (DiscoveryAddress(current), current.Backchannel) : default,
                        sp), HealthStatus.Degraded, all);
                }
            }

            foreach (var provider in options.EnterpriseIdentityProviders.Where(p => p.JwksJson is null))
            {
                var address = EnterpriseProviders.MetadataAddressOf(provider);
                Add(o, "mcpsseauth:enterprise:" + provider.Name, sp => new DiscoveryHealthCheck(
                    "The enterprise identity provider " + provider.Name,
                    s => (address, s.GetRequiredService<EnterpriseProviders>().Http),
                    sp), HealthStatus.Degraded, all);
            }
        }));
        return builder;
    }

    private static void Add(HealthCheckServiceOptions o, string name, Func<IServiceProvider, IHealthCheck> check, HealthStatus failure, string[] tags)
    {
        if (o.Registrations.All(r => r.Name != name))
        {
            o.Registrations.Add(new HealthCheckRegistration(name, check, failure, tags, TimeSpan.FromSeconds(5)));
        }
    }

    private static Uri? DiscoveryAddress(OpenIdConnectOptions options)
        => options.MetadataAddress is { } metadata ? new Uri(metadata)
            : options.Authority is { } authority ? new Uri(authority.TrimEnd('/') + "/.well-known/openid-configuration")
            : null;
}
