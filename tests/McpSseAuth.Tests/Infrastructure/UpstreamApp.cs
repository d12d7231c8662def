using System.Net;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// The sample server on real Kestrel (a free loopback port, Development environment) configured the way an operator
/// would: through configuration keys (<c>Upstream:Authority</c>, <c>McpOAuth:SignIn:AccessRules:...</c>, <c>NoDemoUsers</c>...).
/// The keys go in with <see cref="HostingAbstractionsWebHostBuilderExtensions.UseSetting"/>, which
/// <see cref="WebApplicationFactory{TEntryPoint}"/> hands to Program.cs as command-line arguments, so the configuration
/// is there before Program.cs reads it (as <c>Upstream__Authority=...</c> in the environment would be).
/// The signing key stays in memory; every log entry is captured in <see cref="Logs"/>, and the tokens the provider's
/// token endpoint gives at sign-in in <see cref="SignInTokens"/> (observed, not changed).
/// </summary>
public sealed class UpstreamApp : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public UpstreamApp(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        _settings = settings;
        _services = services;
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>Everything the app logged.</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>Every token set the upstream token endpoint returned to the app's OpenID Connect handler at sign-in.</summary>
    public SignInTokenSpy SignInTokens { get; } = new();

    /// <summary>The Kestrel address, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseAddress
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        }
    }

    /// <summary>The issuer the server derives for requests to <see cref="BaseAddress"/> (no trailing slash).</summary>
    public string Issuer => BaseAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>An HTTP client that follows no redirects and keeps no cookies, for OAuth requests.</summary>
    public HttpClient CreateRawClient()
        => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };

    /// <summary>
    /// The sample's configuration for <paramref name="provider"/>: <c>Upstream:Authority</c>, <c>Upstream:ClientId</c>,
    /// <c>Upstream:ClientSecret</c>, <c>NoDemoUsers=true</c>, plus <paramref name="extra"/> (a null value removes a key).
    /// </summary>
    public static Dictionary<string, string?> SettingsFor(OidcProvider provider, params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Upstream:Authority"] = provider.Issuer,
            ["Upstream:ClientId"] = provider.ClientId,
            ["Upstream:ClientSecret"] = provider.ClientSecret,
            ["NoDemoUsers"] = "true",
        };
        foreach (var (key, value) in extra)
        {
            if (value is null)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }
        }

        return settings;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        var scheme = _settings.TryGetValue("Upstream:SchemeName", out var name) && !string.IsNullOrEmpty(name) ? name : "upstream";
        builder.ConfigureServices(services =>
        {
            services.AddMcpOAuth(o =>
            {
                o.Signing.KeyDirectory = null;
                o.Registration.MaxPerAddress = 100_000;
            });
            SampleApp.UseMemoryStorage(services);
            services.AddSingleton<ILoggerProvider>(Logs);
            services.PostConfigure<OpenIdConnectOptions>(scheme, o =>
            {
                var previous = o.Events.OnTokenResponseReceived;
                o.Events.OnTokenResponseReceived = context =>
                {
                    var response = context.TokenEndpointResponse;
                    SignInTokens.Add(response.AccessToken, response.RefreshToken, response.IdToken);
                    return previous(context);
                };
            });
            _services?.Invoke(services);
        });
    }
}

/// <summary>The upstream tokens the app's OpenID Connect handler received at each sign-in.</summary>
public sealed class SignInTokenSpy
{
    private readonly List<(string? AccessToken, string? RefreshToken, string? IdToken)> _sets = [];

    public IReadOnlyList<(string? AccessToken, string? RefreshToken, string? IdToken)> Sets
    {
        get
        {
            lock (_sets)
            {
                return [.. _sets];
            }
        }
    }

    /// <summary>Every non-empty token value seen so far.</summary>
    public IReadOnlyList<string> AllValues => [.. Sets.SelectMany(s => new[] { s.AccessToken, s.RefreshToken, s.IdToken }).OfType<string>().Where(t => t.Length > 0)];

    internal void Add(string? accessToken, string? refreshToken, string? idToken)
    {
        lock (_sets)
        {
            _sets.Add((accessToken, refreshToken, idToken));
        }
    }
}
