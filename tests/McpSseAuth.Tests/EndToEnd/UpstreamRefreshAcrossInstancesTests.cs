using System.Security.Claims;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// Upstream token refresh is single-flight across instances: two instances sharing one storage, asked at once for the
/// expired upstream token of one user, refresh it once at a real OpenID provider that rotates refresh tokens (and refuses
/// a spent one with invalid_grant). Without it, the second refresh is refused and the user loses access for nothing.
/// </summary>
public sealed class UpstreamRefreshAcrossInstancesTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly string _keys = Path.Combine(Path.GetTempPath(), "mcpsseauth-dp-" + Guid.NewGuid().ToString("N"));
    private OidcProvider _provider = null!;
    private InMemoryOAuthStorage _shared = null!;

    public async Task InitializeAsync()
    {
        _provider = await OidcProvider.StartAsync();
        _shared = new InMemoryOAuthStorage(_clock);
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        if (Directory.Exists(_keys))
        {
            Directory.Delete(_keys, recursive: true);
        }
    }

    private UpstreamApp Instance() => new(
        UpstreamApp.SettingsFor(_provider, ("McpOAuth:Tokens:AccessTokenLifetime", "1.00:00:00")),
        s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            s.AddMcpOAuthStorage(_ => _shared);
            // One Data Protection key ring, as instances behind one load balancer have (Redis gives them one).
            s.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(_keys)).SetApplicationName("mcpsseauth-instances");
        });

    [Fact]
    public async Task ExpiredUpstreamToken_AskedForOnTwoInstancesAtOnce_IsRefreshedOnce_AndBothGetIt()
    {
        await using var first = Instance();
        await using var second = Instance();
        using var browser = new UpstreamBrowser(first.BaseAddress, _provider);
        string subject;
        await using (var client = await UpstreamClients.ConnectAsync(new Uri(first.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, browser))
        {
            var whoami = (ModelContextProtocol.Protocol.TextContentBlock)(await client.CallToolAsync("whoami")).Content.Single();
            subject = whoami.Text.Split("; ").Single(p => p.StartsWith("sub=", StringComparison.Ordinal))["sub=".Length..];
        }

        // Both instances ready to refresh at once: the second has read the provider's metadata too (the first did at sign-in).
        foreach (var app in new[] { first, second })
        {
            var oidc = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectOptions>>().Get("upstream");
            await oidc.ConfigurationManager!.GetConfigurationAsync(CancellationToken.None);
        }

        _clock.Advance(TimeSpan.FromHours(2));
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", subject)], "test"));
        var tokens = await Task.WhenAll(
            from app in new[] { first, second, second, first, second, first }
            select Task.Run(async () => await app.Services.GetRequiredService<IMcpUserTokens>().GetUpstreamAccessTokenAsync(user)));

        Assert.All(tokens, t => Assert.NotNull(t));
        Assert.Single(tokens.Distinct());
        Assert.Single(first.Logs.WithEventId(1501).Concat(second.Logs.WithEventId(1501)));
        Assert.Empty(first.Logs.WithEventId(1502).Concat(second.Logs.WithEventId(1502)));
        Assert.Empty(first.Logs.WithEventId(1214).Concat(second.Logs.WithEventId(1214)));
    }
}
