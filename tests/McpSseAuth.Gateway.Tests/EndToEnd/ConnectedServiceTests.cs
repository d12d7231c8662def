using System.Text.Json;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// A server that needs each user's account of a service, connected rather than pasted, configured in the ready host's
/// file alone (<c>userToken.oauth</c>) against a real OAuth server (oidc-provider): the user connects on the tokens page,
/// and the server's process gets that account's access token.
/// </summary>
public sealed class ConnectedServiceTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mcpsseauth-gateway-connect-").FullName;
    private OidcProvider _provider = null!;
    private GatewayHostProcess _host = null!;

    public async Task InitializeAsync()
    {
        _provider = await OidcProvider.StartAsync();
        var config = new Dictionary<string, object>
        {
            ["mcpServers"] = new Dictionary<string, object>
            {
                ["tracker"] = new Dictionary<string, object>
                {
                    ["command"] = "node",
                    ["args"] = new[] { Everything.Entry, "stdio" },
                    ["env"] = new Dictionary<string, string> { ["TRACKER_TOKEN"] = "{{token}}" },
                    ["userToken"] = new Dictionary<string, object>
                    {
                        ["displayName"] = "Tracker",
                        ["oauth"] = new Dictionary<string, object>
                        {
                            ["authorizationEndpoint"] = _provider.Issuer + "/auth",
                            ["tokenEndpoint"] = _provider.Issuer + "/token",
                            ["clientId"] = _provider.ClientId,
                            ["scopes"] = new[] { "openid", "offline_access" },
                            ["authorizationParameters"] = new Dictionary<string, string> { ["prompt"] = "consent" },
                        },
                    },
                },
            },
            ["Storage"] = new Dictionary<string, object> { ["Memory"] = true },
        };
        await File.WriteAllTextAsync(Path.Combine(_folder, "gateway.json"), JsonSerializer.Serialize(config));
        var environment = new Dictionary<string, string>
        {
            ["mcpServers__tracker__userToken__oauth__clientSecret"] = _provider.ClientSecret,   // a secret: never in the file
            ["McpOAuth__Registration__MaxPerAddress"] = "1000",
        };
        _host = await GatewayHostProcess.StartAsync(_folder, environment, "--config", "gateway.json");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task AUserConnectsTheirAccount_AndTheServerProcessGetsItsAccessToken()
    {
        using var browser = new UpstreamBrowser(_host.BaseAddress, _provider);
        var tokensPage = new Uri(_host.BaseAddress, "/oauth/tokens");
        var login = new Uri(_host.BaseAddress, "/oauth/login?ReturnUrl=%2Foauth%2Ftokens");
        var form = Browser.ParseForm((await browser.SendAsync(login)).Body)!.Value;
        var fields = form.Hidden;
        fields["username"] = "alice";
        fields["password"] = "alice";
        await browser.SendAsync(new Uri(login, form.Action), new FormUrlEncodedContent(fields));
        var page = (await browser.SendAsync(tokensPage)).Body;
        Assert.Contains("Not connected.", page, StringComparison.Ordinal);

        await using (var before = await SdkClients.ConnectAsync(new Uri(_host.BaseAddress, "/tracker/mcp"), HttpTransportMode.StreamableHttp, "alice"))
        {
            var missing = await before.CallToolAsync("get-env");
            Assert.True(missing.IsError);
            Assert.Contains("needs your Tracker account", SdkClients.TextOf(missing), StringComparison.Ordinal);
        }

        var antiforgery = System.Text.RegularExpressions.Regex.Match(page, "name=\"(?<name>__RequestVerificationToken[^\"]*)\" type=\"hidden\" value=\"(?<value>[^\"]+)\"|type=\"hidden\" name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]+)\"");
        Assert.True(antiforgery.Success, page);
        var connect = await browser.SendAsync(tokensPage, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [antiforgery.Groups["name"].Value] = System.Net.WebUtility.HtmlDecode(antiforgery.Groups["value"].Value),
            ["service"] = "tracker",
            ["action"] = "connect",
        }));
        var back = await browser.AuthorizeAsync(connect.Location!, tokensPage);
        Assert.Equal("?done=connected", back!.Query);

        await using var client = await SdkClients.ConnectAsync(new Uri(_host.BaseAddress, "/tracker/sse"), HttpTransportMode.Sse, "alice");
        var env = JsonDocument.Parse(SdkClients.TextOf(await client.CallToolAsync("get-env"))).RootElement;
        Assert.True(env.GetProperty("TRACKER_TOKEN").GetString()!.Length > 20, "the process got no access token");
    }
}
