using System.Net;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>A static resource and a templated one, for resource scope requirements.</summary>
[ModelContextProtocol.Server.McpServerResourceType]
public sealed class ScopedResources
{
    [ModelContextProtocol.Server.McpServerResource(UriTemplate = "test://secret", Name = "secret")]
    public static string Secret() => "TOPSECRET";

    [ModelContextProtocol.Server.McpServerResource(UriTemplate = "file://docs/{name}", Name = "doc")]
    public static string Doc(string name) => "doc " + name;
}

/// <summary>
/// Scopes per tool, prompt and resource: a call whose token lacks them gets HTTP 403 with an RFC 6750 insufficient_scope
/// challenge naming every scope needed and the resource metadata, on both transports and without a session; such tools
/// stay listed unless configured otherwise; the protected resource metadata lists only the basic scopes.
/// </summary>
public sealed class ScopeStepUpTests
{
    private const string CallServerStats = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"server_stats","arguments":{}}}""";

    private static async Task<string> TokenAsync(HttpClient http, string scope, string resource = Http.McpResource)
    {
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(http).AuthorizeAsync(flow.AuthorizeUrl(clientId, resource, scope: scope), "alice", "alice");
        var json = await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, Http.Query(location)["code"]));
        return json.GetProperty("access_token").GetString()!;
    }

    /// <summary>Posts <paramref name="message"/> in a Streamable HTTP session of a token with the basic scope only.</summary>
    private static async Task<HttpResponseMessage> CallInABasicSessionAsync(string message)
    {
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();
        var basic = await TokenAsync(http, "mcp:tools");
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, basic);
        var response = await McpWire.PostJsonAsync(http, "/mcp", message, basic, Assert.Single(init.Headers.GetValues("Mcp-Session-Id")));
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task AssertInsufficientScopeAsync(HttpResponseMessage response, string expectedScope, string resourceMetadata, string jsonRpcId = "7")
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.StartsWith("Bearer ", challenge, StringComparison.Ordinal);
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.Contains($"scope=\"{expectedScope}\"", challenge, StringComparison.Ordinal);
        Assert.Contains($"resource_metadata=\"{resourceMetadata}\"", challenge, StringComparison.Ordinal);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"\"id\":{jsonRpcId}", body, StringComparison.Ordinal);
        Assert.Contains("mcp:admin", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_ResourceListsOnlyTheBasicScopes_TheServerListsAll()
    {
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();

        var resource = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        Assert.Equal(["mcp:tools"], resource.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()));
        var server = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.Contains("mcp:admin", server.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task StreamableSession_ToolNeedingMoreScope_Is403InsufficientScope_TheToolStaysListed_AndTheRightTokenWorks()
    {
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();
        var basic = await TokenAsync(http, "mcp:tools");
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, basic);
        var sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));

        using var listed = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, basic, sessionId);
        Assert.Contains("server_stats", await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var refused = await McpWire.PostJsonAsync(http, "/mcp", CallServerStats, basic, sessionId);
        await AssertInsufficientScopeAsync(refused, "mcp:tools mcp:admin", "http://localhost/.well-known/oauth-protected-resource/mcp");

        // Other tools are not affected.
        using var whoami = await McpWire.PostJsonAsync(http, "/mcp", """{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"whoami","arguments":{}}}""", basic, sessionId);
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);

        var admin = await TokenAsync(http, "mcp:tools mcp:admin");
        using var init2 = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, admin);
        using var allowed = await McpWire.PostJsonAsync(http, "/mcp", CallServerStats, admin, Assert.Single(init2.Headers.GetValues("Mcp-Session-Id")));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains("sessions=", await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/list","method":"tools/call","params":{"name":"server_stats","arguments":{}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","name":"server_stats","arguments":{}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"m\u0065thod":"tools/call","params":{"n\u0061me":"server_stats","arguments":{}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"server_stats","Name":"whoami","arguments":{}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"server_stats","arguments":{},"arguments":{}}}""")]
    public async Task A_call_disguised_by_repeated_or_escaped_names_still_needs_its_scope(string disguised)
    {
        using var response = await CallInABasicSessionAsync(disguised);

        // Refused with the step-up challenge, or as malformed (a member named twice): never run, never a 500.
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("sessions=", body, StringComparison.Ordinal);
        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("\"id\":7", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_of_an_allowed_tool_naming_its_arguments_twice_is_never_a_500()
    {
        using var response = await CallInABasicSessionAsync("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"whoami","arguments":{},"arguments":{}}}""");

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task StatelessRequest_ToolNeedingMoreScope_Is403Too()
    {
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();
        var basic = await TokenAsync(http, "mcp:tools");

        // No session: a 2026-07-28-style request on its own.
        using var refused = await McpWire.PostJsonAsync(http, "/mcp", CallServerStats, basic);

        await AssertInsufficientScopeAsync(refused, "mcp:tools mcp:admin", "http://localhost/.well-known/oauth-protected-resource/mcp");
    }

    /// <summary>A legacy SSE session of a token with the basic scope only, initialized, its stream read up to the answer.</summary>
    private static async Task<(string Token, HttpResponseMessage Stream, StreamReader Reader, string MessagePath)> OpenBasicSseSessionAsync(SampleApp app, HttpClient http)
    {
        var basic = await TokenAsync(http, "mcp:tools", resource: new Uri(app.BaseAddress, "/sse").ToString().TrimEnd('/'));
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(http, basic);
        Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, McpWire.Initialize, basic)).StatusCode);
        await McpWire.ReadDataEventAsync(reader);
        return (basic, stream, reader, messagePath);
    }

    [Fact]
    public async Task LegacySse_ToolNeedingMoreScope_Is403OnThePost_AndNothingReachesTheStream()
    {
        await using var app = new SampleApp(kestrel: true);
        using var http = app.CreateRawClient();
        var (basic, stream, reader, messagePath) = await OpenBasicSseSessionAsync(app, http);
        using (stream)
        using (reader)
        {

            using var refused = await McpWire.PostJsonAsync(http, messagePath, CallServerStats, basic);

            await AssertInsufficientScopeAsync(refused, "mcp:tools mcp:admin", new Uri(app.BaseAddress, "/.well-known/oauth-protected-resource/sse").ToString());
            // The stream's next event answers the next request, not the refused one.
            Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(http, messagePath, McpWire.ListTools, basic)).StatusCode);
            Assert.Contains("\"id\":2", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task LegacySse_LyingStandardHeaders_DecideNothing_TheBodyDoes()
    {
        // Only Streamable HTTP holds Mcp-Method / Mcp-Name to the body (MCP 2026-07-28, "Server Validation"); on legacy SSE's
        // POST /message nothing does, so headers naming an allowed tool must not let a scoped call through.
        await using var app = new SampleApp(kestrel: true);
        using var http = app.CreateRawClient();
        var (basic, stream, reader, messagePath) = await OpenBasicSseSessionAsync(app, http);
        using (stream)
        using (reader)
        {

            using var request = new HttpRequestMessage(HttpMethod.Post, messagePath) { Content = new StringContent(CallServerStats, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", basic);
            request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
            request.Headers.Add("Mcp-Method", "tools/call");
            request.Headers.Add("Mcp-Name", "echo");
            using var refused = await http.SendAsync(request);

            await AssertInsufficientScopeAsync(refused, "mcp:tools mcp:admin", new Uri(app.BaseAddress, "/.well-known/oauth-protected-resource/sse").ToString());
        }
    }

    [Fact]
    public async Task HiddenFromLists_WhenConfigured_TheToolIsListedOnlyWithTheScope()
    {
        await using var app = new SampleApp(configure: o => o.Scopes.Required.HideFromListsWithoutScope = true);
        using var http = app.CreateRawClient();

        foreach (var (scope, listed) in new[] { ("mcp:tools", false), ("mcp:tools mcp:admin", true) })
        {
            var token = await TokenAsync(http, scope);
            using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, token);
            using var list = await McpWire.PostJsonAsync(http, "/mcp", McpWire.ListTools, token, Assert.Single(init.Headers.GetValues("Mcp-Session-Id")));
            var body = await list.Content.ReadAsStringAsync();
            Assert.Contains("whoami", body, StringComparison.Ordinal);
            Assert.Equal(listed, body.Contains("server_stats", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task OptionsForm_RequiresScopesForATool_WithoutAnAttribute()
    {
        await using var app = new SampleApp(configure: o => o.Scopes.Required.Tool("echo", "mcp:admin"));
        using var http = app.CreateRawClient();
        var basic = await TokenAsync(http, "mcp:tools");

        using var refused = await McpWire.PostJsonAsync(http, "/mcp", """{"jsonrpc":"2.0","id":"e1","method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}""", basic);

        await AssertInsufficientScopeAsync(refused, "mcp:tools mcp:admin", "http://localhost/.well-known/oauth-protected-resource/mcp", jsonRpcId: "\"e1\"");
    }

    [Fact]
    public async Task RequiredScopeUnknownToTheServer_FailsStartupNamingIt()
    {
        await using var app = new SampleApp(configure: o => o.Scopes.Required.Tool("echo", "files:write"));

        var error = Assert.ThrowsAny<Exception>(() => app.CreateRawClient());

        Assert.Contains("files:write", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("test://secret")]
    [InlineData("TEST://SECRET")]
    [InlineData("Test://Secret")]
    [InlineData("file://docs/readme")]
    public async Task ResourceRequirement_ByUriOrTemplate_HoldsForEverySpellingTheSdkMatches(string uri)
    {
        await using var app = new SampleApp(
            configure: o => o.Scopes.Required.Resource("test://secret", "mcp:admin").Resource("file://docs/{name}", "mcp:admin"),
            services: s => Microsoft.Extensions.DependencyInjection.McpServerBuilderExtensions.WithResources<ScopedResources>(Microsoft.Extensions.DependencyInjection.McpServerServiceCollectionExtensions.AddMcpServer(s)));
        using var http = app.CreateRawClient();
        var read = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"resources/read\",\"params\":{\"uri\":\"" + uri + "\"}}";

        using var refused = await McpWire.PostJsonAsync(http, "/mcp", read, await TokenAsync(http, "mcp:tools"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("insufficient_scope", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        var admin = await TokenAsync(http, "mcp:tools mcp:admin");
        using var init = await McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, admin);
        using var allowed = await McpWire.PostJsonAsync(http, "/mcp", read, admin, Assert.Single(init.Headers.GetValues("Mcp-Session-Id")));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains(uri.StartsWith("file", StringComparison.Ordinal) ? "doc readme" : "TOPSECRET", await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
