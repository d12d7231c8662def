using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The official TypeScript SDK client, headless, through the whole upstream path: McpSseAuth → the real oidc-provider's login
/// → back → consent → token → tool call; and a user the access rules refuse ends with <c>access_denied</c>.
/// </summary>
public sealed class TypeScriptUpstreamTests(OidcProviderFixture upstream) : IClassFixture<OidcProviderFixture>, IAsyncLifetime
{
    private UpstreamApp _app = null!;

    public Task InitializeAsync()
    {
        // Configuration only, as an operator would: the provider, a domain rule, and local users left in.
        _app = new UpstreamApp(UpstreamApp.SettingsFor(
            upstream.Provider,
            ("NoDemoUsers", null),
            ("Upstream:DisplayName", "Example SSO"),
            ("McpOAuth:SignIn:AccessRules:AllowedEmailDomains:0", "example.com")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("mcp", "http")]
    [InlineData("sse", "sse")]
    public async Task TypeScriptClient_SignsInUpstream_AndCallsToolsAsTheUpstreamUser(string path, string transport)
    {
        var url = new Uri(_app.BaseAddress, path).ToString();

        var whoami = await TypeScriptClient.RunAsync("--url", url, "--transport", transport, "--upstream", "--user", "alice@example.com", "--password", OidcProvider.Password);
        var userinfo = await TypeScriptClient.RunAsync("--url", url, "--transport", transport, "--upstream", "--user", "alice@example.com", "--password", OidcProvider.Password, "--tool", "upstream_userinfo");

        Assert.True(whoami.ExitCode == 0, $"exit {whoami.ExitCode}: {whoami.StandardError}");
        var text = whoami.Output!.Value.GetProperty("result").GetString()!;
        Assert.Contains("user=Alice Example", text, StringComparison.Ordinal);
        Assert.Contains("sub=ext:", text, StringComparison.Ordinal);
        // The tool reached the provider with the user's upstream token, which the client itself never saw.
        Assert.True(userinfo.ExitCode == 0, $"exit {userinfo.ExitCode}: {userinfo.StandardError}");
        Assert.Contains("\"email\":\"alice@example.com\"", userinfo.Output!.Value.GetProperty("result").GetString()!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mcp", "http")]
    [InlineData("sse", "sse")]
    public async Task TypeScriptClient_UserOutsideTheAllowedDomain_GetsAccessDenied(string path, string transport)
    {
        var result = await TypeScriptClient.RunAsync("--url", new Uri(_app.BaseAddress, path).ToString(), "--transport", transport, "--upstream", "--user", "eve@other.com", "--password", OidcProvider.Password);

        Assert.True(result.ExitCode == 3, $"exit {result.ExitCode}: {result.StandardError}");
        Assert.Equal("access_denied", result.Output!.Value.GetProperty("error").GetString());
        Assert.Contains(_app.Logs.Entries, e => e.EventId.Id == 1206);
    }
}
