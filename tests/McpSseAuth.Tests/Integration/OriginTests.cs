using System.Net;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// DNS rebinding protection (MCP transports: "Servers MUST validate the Origin header ... If the Origin header is present
/// and invalid, servers MUST respond with HTTP 403 Forbidden"): a page of another site, its name pointed at this server,
/// calls the MCP endpoints with its own Origin; clients that are not browsers send none.
/// </summary>
public sealed class OriginTests
{
    private static async Task<(SampleApp App, HttpClient Http, TokenSet Mcp, TokenSet Sse)> StartAsync(Action<McpOAuthOptions>? configure = null)
    {
        var app = new SampleApp(configure: configure);
        var http = app.CreateRawClient();
        return (app, http, await new OAuthFlow(http).GetTokensAsync(Http.McpResource), await new OAuthFlow(http).GetTokensAsync(Http.SseResource));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? origin, string? host = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent(Http.InitializeBody, System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [Theory]
    [InlineData("http://evil.example.com")]
    [InlineData("null")]
    [InlineData("http://localhost:6274")]
    [InlineData("https://localhost")]
    public async Task AnotherOrigin_Is403_OnEveryMcpEndpoint_WithAJsonRpcError(string origin)
    {
        var (app, http, mcp, sse) = await StartAsync();
        await using var _ = app;

        using var streamable = await SendAsync(http, HttpMethod.Post, "/mcp", mcp.AccessToken, origin);
        using var stream = await SendAsync(http, HttpMethod.Get, "/sse", sse.AccessToken, origin);
        using var message = await SendAsync(http, HttpMethod.Post, "/message?sessionId=x", sse.AccessToken, origin);

        Assert.Equal(HttpStatusCode.Forbidden, streamable.StatusCode);
        Assert.Contains("DNS rebinding", await streamable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, stream.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, message.StatusCode);
    }

    [Fact]
    public async Task NoOrigin_OrTheServersOwnOnALoopbackName_IsAccepted()
    {
        var (app, http, mcp, _) = await StartAsync();
        await using var __ = app;

        using var none = await SendAsync(http, HttpMethod.Post, "/mcp", mcp.AccessToken, origin: null);
        using var own = await SendAsync(http, HttpMethod.Post, "/mcp", mcp.AccessToken, Http.Base);

        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task WithAConfiguredIssuer_ARebindingHost_AndItsOrigin_Are403_ThoughTheTokenIsGood()
    {
        // The rebinding page is same-origin in the browser's eyes: Host and Origin both name the attacker's site.
        var (app, http, mcp, _) = await StartAsync(o => o.Issuer = new Uri(Http.Base));
        await using var __ = app;

        using var rebound = await SendAsync(http, HttpMethod.Post, "/mcp", mcp.AccessToken, "http://evil.example.com", host: "evil.example.com");
        using var own = await SendAsync(http, HttpMethod.Post, "/mcp", mcp.AccessToken, Http.Base);

        Assert.Equal(HttpStatusCode.Forbidden, rebound.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task AnAllowedOrigin_IsAccepted()
    {
        var (app, http, mcp, _) = await StartAsync(o => o.AllowedOrigins.Add("http://localhost:6274"));
        await using var __ = app;

        using var allowed = await SendAsync(http, HttpMethod.Post, "/mcp", mcp.AccessToken, "http://LOCALHOST:6274");
        using var other = await SendAsync(http, HttpMethod.Post, "/mcp", mcp.AccessToken, "http://localhost:6275");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    [Theory]
    [InlineData("https://app.example.com/path")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    public void AnAllowedOriginThatIsNotAnOrigin_StopsTheAppAtStartup(string origin)
    {
        var options = new McpOAuthOptions();
        options.AllowedOrigins.Add(origin);

        var result = new Hosting.McpOAuthOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("AllowedOrigins", result.FailureMessage, StringComparison.Ordinal);
    }
}
