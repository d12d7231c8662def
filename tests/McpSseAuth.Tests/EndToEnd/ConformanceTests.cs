using System.Net.Http.Json;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Xunit.Abstractions;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The official MCP conformance suite's authorization-server scenarios (<c>conformance authorization</c>) against the
/// sample on real Kestrel: the metadata endpoint, then an authorization-code grant with a client registered dynamically
/// for the suite's callback, signed in as alice and consented by walking the pages over HTTP.
/// Every scenario the suite lists must run, and every check must succeed, warnings included.
/// </summary>
public sealed class ConformanceTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// Warnings the suite itself does not count as failures and that the server knowingly gives: none. (Kept as the one
    /// place to list one, with its reason, should a future suite version warn about a SHOULD this server leaves out.)
    /// </summary>
    private static readonly HashSet<string> ToleratedWarnings = new(StringComparer.Ordinal);

    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData(null)]      // as the suite runs by default: no resource parameter
    [InlineData("/mcp")]    // --resource: the canonical URI of the Streamable HTTP endpoint, as an MCP client sends it
    public async Task ConformanceSuite_AuthorizationServerScenarios_AllPass(string? resourcePath)
    {
        var expectedScenarios = await ConformanceSuite.ListAuthorizationScenariosAsync();
        Assert.Contains("authorization-server-metadata-endpoint", expectedScenarios);
        Assert.Contains("authorization-code-grant", expectedScenarios);

        var http = _app.CreateRawClient();
        var issuer = await PublishedIssuerAsync(http);
        var resource = resourcePath is null ? null : await PublishedResourceAsync(http, resourcePath);
        var port = ConformanceSuite.FreeLoopbackPort();
        var clientId = await new OAuthFlow(http).RegisterAsync("MCP conformance suite", ConformanceSuite.RedirectUri(port), refresh: false);

        var signIns = 0;
        var result = await ConformanceSuite.RunAuthorizationAsync(issuer, clientId, port, async authorizationUrl =>
        {
            signIns++;
            Assert.Equal(_app.BaseAddress.GetLeftPart(UriPartial.Authority), authorizationUrl.GetLeftPart(UriPartial.Authority));
            return await new Browser(_app.CreateRawClient()).AuthorizeAsync(authorizationUrl, "alice", "alice");
        }, resource);

        output.WriteLine($"issuer {issuer}, client {clientId}, port {port}, resource {resource ?? "(none)"}, exit {result.ExitCode}");
        output.WriteLine(result.Describe());
        var context = $"{result.Describe()}\n--- stdout ---\n{result.StandardOutput}\n--- stderr ---\n{result.StandardError}";

        Assert.Equal(1, signIns);
        Assert.True(expectedScenarios.ToHashSet().SetEquals(result.ScenariosRun), $"scenarios run: {string.Join(", ", result.ScenariosRun)}\n{context}");
        foreach (var scenario in expectedScenarios)
        {
            Assert.True(result.Checks.Any(c => c.Scenario == scenario && c.Status == "SUCCESS"), $"no successful check for {scenario}\n{context}");
        }

        var notPassed = result.Checks.Where(c => c.Status != "SUCCESS" && !(c.Status == "WARNING" && ToleratedWarnings.Contains(c.Id))).ToArray();
        Assert.True(notPassed.Length == 0, $"checks that did not pass:\n{string.Join('\n', notPassed.Select(c => $"{c.Status} {c.Scenario} / {c.Id}: {c.ErrorMessage}"))}\n{context}");
        Assert.True(result.ExitCode == 0, $"conformance exited {result.ExitCode}\n{context}");
    }

    private static async Task<string> PublishedIssuerAsync(HttpClient http)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri("/.well-known/oauth-authorization-server", UriKind.Relative)));
        return json.RootElement.GetProperty("issuer").GetString()!;
    }

    private static async Task<string> PublishedResourceAsync(HttpClient http, string path)
    {
        var metadata = await http.GetFromJsonAsync<JsonElement>(new Uri("/.well-known/oauth-protected-resource" + path, UriKind.Relative));
        return metadata.GetProperty("resource").GetString()!;
    }
}
