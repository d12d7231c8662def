using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Which scopes a step-up challenge names. MCP 2026-07-28, "Scope Challenge Handling" (SEP-2350): "servers SHOULD include
/// the scopes needed to satisfy the current operation" and "are not required to include the client's previously granted
/// scopes", which the client unions itself. Older revisions said nothing of the union, and some clients replace their
/// scopes with the challenge's: they are given the token's scopes too.
/// </summary>
public sealed class ScopeChallengeRevisionTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(configure: o => o.Scopes.Add("files:read", "Read your files"));
    private HttpClient _http = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _http = _app.CreateRawClient();
        _token = (await new OAuthFlow(_http).GetTokensAsync(Http.McpResource, scope: "mcp:tools files:read")).AccessToken;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<string> ChallengedScopeAsync(string? version)
    {
        const string Body = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"server_stats","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        if (version is not null)
        {
            request.Headers.Add("MCP-Protocol-Version", version);
            request.Headers.Add("Mcp-Method", "tools/call");
            request.Headers.Add("Mcp-Name", "server_stats");
        }

        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        var start = challenge.IndexOf("scope=\"", StringComparison.Ordinal) + "scope=\"".Length;
        return challenge[start..challenge.IndexOf('"', start)];
    }

    [Fact]
    public async Task Revision2026_07_28_TheChallengeNamesTheScopesOfTheCurrentOperation()
        => Assert.Equal("mcp:tools mcp:admin", await ChallengedScopeAsync("2026-07-28"));

    [Theory]
    [InlineData("2025-06-18")]
    [InlineData(null)]
    public async Task OlderRevisions_TheChallengeNamesTheTokensScopesToo(string? version)
        => Assert.Equal("mcp:tools files:read mcp:admin", await ChallengedScopeAsync(version));
}
