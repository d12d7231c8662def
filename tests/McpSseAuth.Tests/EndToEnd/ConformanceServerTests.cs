using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The official conformance suite's server scenarios that touch what McpSseAuth owns — the HTTP transport, sessions,
/// stateless requests of 2026-07-28, its standard headers, SSE streams, DNS rebinding — run against the protected sample,
/// authenticated (a real user token added by token-proxy.mjs, the sample's issuer being the proxy's address), and against
/// the same MCP server served by the SDK alone. McpSseAuth may take no check away: every check the SDK-only server passes,
/// the protected one passes too. What fails on both is the SDK's or the sample's (the suite's diagnostic tools, which the
/// sample does not have). DNS rebinding protection, which the SDK alone lacks, must pass.
/// </summary>
public sealed class ConformanceServerTests : IAsyncLifetime
{
    public static readonly string[] Scenarios =
    [
        "server-initialize", "server-session-lifecycle", "server-stateless", "dns-rebinding-protection", "http-header-validation",
        "http-custom-header-server-validation", "server-sse-polling", "server-sse-multiple-streams", "ping", "tools-list",
    ];

    private TokenProxy _proxy = null!;
    private SampleApp _app = null!;
    private SdkOnlyServer _sdkOnly = null!;

    public async Task InitializeAsync()
    {
        _proxy = await TokenProxy.StartAsync();
        _app = new SampleApp(kestrel: true, configure: o => o.Issuer = new Uri(_proxy.Address.GetLeftPart(UriPartial.Authority)));
        await _proxy.SetTargetAsync(_app.BaseAddress);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _proxy.Address };
        var tokens = await new OAuthFlow(http).GetTokensAsync(new Uri(_proxy.Address, "/mcp").ToString());
        await _proxy.SetTokenAsync(tokens.AccessToken);
        _sdkOnly = await SdkOnlyServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _app.DisposeAsync();
        await _sdkOnly.DisposeAsync();
    }

    [Fact]
    public async Task TheProtectedSample_PassesEveryServerCheckTheSdkAlonePasses_AndDnsRebindingProtection()
    {
        var protectedUrl = new Uri(_proxy.Address, "/mcp").ToString();
        var sdkOnlyUrl = new Uri(_sdkOnly.Address, "/mcp").ToString();
        var runs = await Task.WhenAll(Scenarios.Select(async scenario =>
            (Protected: await ConformanceSuite.RunServerScenarioAsync(protectedUrl, scenario), SdkOnly: await ConformanceSuite.RunServerScenarioAsync(sdkOnlyUrl, scenario))));

        var protectedChecks = runs.SelectMany(r => r.Protected.Checks).ToList();
        var passedBySdkOnly = runs.SelectMany(r => r.SdkOnly.Checks).Where(c => c.Status == "SUCCESS").Select(c => (c.Scenario, c.Id)).ToHashSet();
        var taken = protectedChecks.Where(c => c.Status != "SUCCESS" && passedBySdkOnly.Contains((c.Scenario, c.Id))).ToList();
        var report = string.Join("\n", runs.Select(r => r.Protected.Describe()));

        Assert.True(taken.Count == 0, "Checks the SDK alone passes but the protected sample does not:\n" + string.Join('\n', taken) + "\n\nAll:\n" + report);
        Assert.All(Scenarios, s => Assert.Contains(protectedChecks, c => c.Scenario == s));
        Assert.All(protectedChecks.Where(c => c.Scenario == "dns-rebinding-protection"), c => Assert.True(c.Status == "SUCCESS", report));
        Assert.All(protectedChecks.Where(c => c.Scenario is "http-header-validation" or "server-session-lifecycle" or "server-initialize"), c => Assert.True(c.Status == "SUCCESS", report));
        Assert.True(protectedChecks.Count(c => c.Status == "SUCCESS") >= 40, report);
    }
}
