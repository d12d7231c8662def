using System.Net;
using McpSseAuth.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// The sample server in the Development environment (users alice and bob), either on the in-memory test server or on
/// real Kestrel bound to a loopback port (a free one unless <c>port</c> names it, e.g. to start again where a stopped
/// instance listened). Its state (clients, grants, signing keys) stays in memory, not in the sample's SQLite file, unless
/// <c>services</c> chooses another storage.
/// </summary>
public sealed class SampleApp : WebApplicationFactory<Program>
{
    private readonly Action<McpOAuthOptions>? _configure;
    private readonly Action<IServiceCollection>? _services;
    private readonly IReadOnlyDictionary<string, string?>? _settings;

    /// <param name="settings">Configuration of the sample itself (e.g. <c>OpenTelemetry:Enabled</c>), as if from appsettings.json.</param>
    public SampleApp(bool kestrel = false, Action<McpOAuthOptions>? configure = null, Action<IServiceCollection>? services = null, int port = 0, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _configure = configure;
        _services = services;
        _settings = settings;
        IsKestrel = kestrel;
        if (kestrel)
        {
            UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        }
    }

    public bool IsKestrel { get; }

    /// <summary>Where the server listens: the Kestrel address, or http://localhost for the test server.</summary>
    public Uri BaseAddress
    {
        get
        {
            if (!IsKestrel)
            {
                return new Uri("http://localhost");
            }

            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            services.AddMcpOAuth(o =>
            {
                o.Signing.KeyDirectory = null;
                // Every test registers clients from one address; tests of the limit set their own.
                o.Registration.MaxPerAddress = 100_000;
                _configure?.Invoke(o);
            });
            UseMemoryStorage(services);
            _services?.Invoke(services);
        });
    }

    /// <summary>An HTTP client that follows no redirects and keeps no cookies, for OAuth requests.</summary>
    public HttpClient CreateRawClient()
    {
        if (IsKestrel)
        {
            StartServer();
            return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };
        }

        return CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = BaseAddress });
    }

    /// <summary>
    /// The library's default, as if the sample had chosen no storage: memory (each app its own, nothing left in the
    /// sample's App_Data between tests), keys per <see cref="McpOAuthSigningOptions.KeyDirectory"/>.
    /// </summary>
    public static void UseMemoryStorage(IServiceCollection services)
    {
        services.RemoveAll<ConfiguredStorage>();
        services.Replace(ServiceDescriptor.Singleton<McpSseAuth.Storage.IMcpOAuthStorage>(sp => new McpSseAuth.Storage.InMemoryOAuthStorage(sp.GetRequiredService<TimeProvider>())));
    }
}
