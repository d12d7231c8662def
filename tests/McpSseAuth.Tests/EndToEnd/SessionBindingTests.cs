using System.Net;
using System.Net.Http.Headers;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>A session belongs to the user who opened it: another user's valid token cannot use it, on either transport.</summary>
public sealed class SessionBindingTests : IAsyncLifetime
{
    private const string Initialize = McpWire.Initialize;
    private const string ListTools = McpWire.ListTools;

    private readonly SampleApp _app = new(kestrel: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private string Resource(string path) => new Uri(_app.BaseAddress, path).ToString().TrimEnd('/');

    [Fact]
    public async Task StreamableSession_OfAlice_IsRefusedWithBobsToken()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/mcp"), "bob");

        using var init = await McpWire.PostJsonAsync(http, "/mcp", Initialize, alice.AccessToken);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        var sessionId = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));

        using var asBob = await McpWire.PostJsonAsync(http, "/mcp", ListTools, bob.AccessToken, sessionId);
        Assert.Equal(HttpStatusCode.Forbidden, asBob.StatusCode);
        Assert.DoesNotContain("whoami", await asBob.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var asAlice = await McpWire.PostJsonAsync(http, "/mcp", ListTools, alice.AccessToken, sessionId);
        Assert.Equal(HttpStatusCode.OK, asAlice.StatusCode);
        Assert.Contains("whoami", await asAlice.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseSession_OfAlice_IsRefusedWithBobsToken()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        var bob = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "bob");

        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, "/sse");
        streamRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alice.AccessToken);
        streamRequest.Headers.Accept.ParseAdd("text/event-stream");
        using var stream = await http.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var messagePath = await McpWire.ReadEndpointEventAsync(reader);
        Assert.StartsWith("/message?sessionId=", messagePath, StringComparison.Ordinal);

        using var asBob = await McpWire.PostJsonAsync(http, messagePath, Initialize, bob.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, asBob.StatusCode);

        using var asAlice = await McpWire.PostJsonAsync(http, messagePath, Initialize, alice.AccessToken);
        Assert.Equal(HttpStatusCode.Accepted, asAlice.StatusCode);
        Assert.Contains("\"protocolVersion\"", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseMessage_WithoutToken_IsChallenged_AndNothingReachesTheSession()
    {
        using var http = _app.CreateRawClient();
        var alice = await new OAuthFlow(http).GetTokensAsync(Resource("/sse"), "alice");
        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, "/sse");
        streamRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alice.AccessToken);
        using var stream = await http.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var messagePath = await McpWire.ReadEndpointEventAsync(reader);

        using var anonymous = await McpWire.PostJsonAsync(http, messagePath, Initialize, token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("resource_metadata=", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("/.well-known/oauth-protected-resource/sse", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
