using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// Each server behind the gateway is its own protected resource: a token for one is refused by another, its access rules
/// turn other users away with 403, and the aggregated endpoint is no way around them.
/// </summary>
public sealed class BackendAccessTests(StdioGatewayFixture fixture) : IClassFixture<StdioGatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    private HttpClient Raw() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Host.BaseAddress };

    [Fact]
    public async Task EachServer_PublishesItsOwnResourceMetadata()
    {
        using var http = Raw();
        var everything = await http.GetStringAsync("/.well-known/oauth-protected-resource/everything/mcp");
        var restricted = await http.GetStringAsync("/.well-known/oauth-protected-resource/alice_only/sse");

        Assert.Contains($"\"resource\":\"{Host.Url("/everything/mcp").AbsoluteUri}\"", everything, StringComparison.Ordinal);
        Assert.Contains($"\"resource\":\"{Host.Url("/alice_only/sse").AbsoluteUri}\"", restricted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenForOneServer_IsRefusedByAnother()
    {
        using var http = Raw();
        var tokens = await new OAuthFlow(http).GetTokensAsync(Host.Url("/everything/mcp").AbsoluteUri, "alice");

        var own = await PostInitializeAsync(http, "/everything/mcp", tokens.AccessToken);
        var other = await PostInitializeAsync(http, "/alice_only/mcp", tokens.AccessToken);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.Contains("error=\"invalid_token\"", other.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("another resource", other.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServersAccessRules_TurnOtherUsersAwayWith403_AndLetTheListedOneIn()
    {
        using var http = Raw();
        var resource = Host.Url("/alice_only/mcp").AbsoluteUri;
        var bob = await new OAuthFlow(http).GetTokensAsync(resource, "bob");
        var alice = await new OAuthFlow(http).GetTokensAsync(resource, "alice");

        var refused = await PostInitializeAsync(http, "/alice_only/mcp", bob.AccessToken);
        var admitted = await PostInitializeAsync(http, "/alice_only/mcp", alice.AccessToken);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("not among those allowed", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    [Fact]
    public async Task TheAggregate_ListsOnlyTheServersTheUserMayUse_AndRefusesCallsToTheOthers()
    {
        await using var bob = await SdkClients.ConnectAsync(Host.Url("/mcp"), HttpTransportMode.StreamableHttp, "bob");
        await using var alice = await SdkClients.ConnectAsync(Host.Url("/sse"), HttpTransportMode.Sse, "alice");

        var bobTools = await bob.ListToolsAsync();
        var aliceTools = await alice.ListToolsAsync();

        Assert.Contains(bobTools, t => t.Name == "everything__echo");
        Assert.DoesNotContain(bobTools, t => t.Name.StartsWith("alice_only__", StringComparison.Ordinal));
        Assert.Contains(aliceTools, t => t.Name == "alice_only__echo");
        Assert.Contains(aliceTools, t => t.Name == "everything__echo");
        var refused = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() => bob.CallToolAsync("alice_only__echo", new Dictionary<string, object?> { ["message"] = "x" }).AsTask());
        Assert.Contains("Unknown tool", refused.Message, StringComparison.Ordinal);

        var echoed = await alice.CallToolAsync("alice_only__echo", new Dictionary<string, object?> { ["message"] = "through the aggregate" });
        Assert.Contains("through the aggregate", SdkClients.TextOf(echoed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMachineClient_UsesAServerWithTheClientCredentialsGrant_WhereItsRulesLetItIn()
    {
        using var http = Raw();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["resource"] = Host.Url("/machines/mcp").AbsoluteUri });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(StdioGatewayFixture.MachineClientId + ":" + StdioGatewayFixture.MachineSecret)));
        using var issued = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var token = System.Text.Json.JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = Host.Url("/machines/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        });
        await using var client = await McpClient.CreateAsync(transport);
        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "from CI" });
        Assert.Contains("from CI", SdkClients.TextOf(echo), StringComparison.Ordinal);

        var alice = await new OAuthFlow(http).GetTokensAsync(Host.Url("/machines/mcp").AbsoluteUri, "alice");
        Assert.Equal(HttpStatusCode.Forbidden, (await PostInitializeAsync(http, "/machines/mcp", alice.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task AServersRequiredScopes_ArePublishedAndChallenged_AndATokenWithoutThemSteppedUp()
    {
        using var http = Raw();
        var resource = Host.Url("/scoped/mcp").AbsoluteUri;

        var metadata = await http.GetStringAsync("/.well-known/oauth-protected-resource/scoped/mcp");
        Assert.Contains("\"files:read\"", metadata, StringComparison.Ordinal);
        using (var anonymous = new HttpRequestMessage(HttpMethod.Post, "/scoped/mcp") { Content = new StringContent("{}", Encoding.UTF8, "application/json") })
        {
            var challenge = await http.SendAsync(anonymous);
            Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
            Assert.Contains("files:read", challenge.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        var plain = await new OAuthFlow(http).GetTokensAsync(resource, "alice");
        var refused = await PostInitializeAsync(http, "/scoped/mcp", plain.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("files:read", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(http).AuthorizeAsync(flow.AuthorizeUrl(clientId, resource, scope: "mcp:tools files:read"), "alice", "alice");
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query)["code"].ToString();
        using var redeemed = await flow.RedeemAsync(clientId, code, resource: resource);
        var scopedToken = System.Text.Json.JsonDocument.Parse(await redeemed.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await PostInitializeAsync(http, "/scoped/mcp", scopedToken)).StatusCode);
    }

    [Fact]
    public async Task TheAggregate_LeavesOutAServerWhoseScopesTheTokenLacks()
    {
        await using var client = await SdkClients.ConnectAsync(Host.Url("/mcp"), HttpTransportMode.StreamableHttp, "alice");

        var tools = await client.ListToolsAsync();

        Assert.Contains(tools, t => t.Name == "everything__echo");
        Assert.DoesNotContain(tools, t => t.Name.StartsWith("scoped__", StringComparison.Ordinal));
    }

    private static async Task<HttpResponseMessage> PostInitializeAsync(HttpClient http, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        return await http.SendAsync(request);
    }
}
