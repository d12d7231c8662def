using System.Net;
using System.Text.Json;
using McpSseAuth.Clients;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Client ID Metadata Documents: a URL client id is described by the document at that URL, fetched from a real server on
/// loopback (allowed here by AllowLoopback), checked strictly, cached, and never fetched from a private address.
/// </summary>
public sealed class ClientMetadataDocumentTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private DocumentServer _documents = null!;
    private SampleApp _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _documents = await DocumentServer.StartAsync();
        _app = new SampleApp(
            configure: o =>
            {
                o.ClientMetadataDocuments.AllowLoopback = true;
                o.ClientMetadataDocuments.FetchTimeout = TimeSpan.FromSeconds(1);
            },
            services: s => s.AddSingleton<TimeProvider>(_clock));
        _http = _app.CreateRawClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        await _documents.DisposeAsync();
    }

    private string Document(string path, Action<Dictionary<string, object>>? change = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        var clientId = _documents.Url(path);
        var document = new Dictionary<string, object>
        {
            ["client_id"] = clientId,
            ["client_name"] = "Document Client",
            ["redirect_uris"] = new[] { OAuthFlow.RedirectUri },
            ["grant_types"] = new[] { "authorization_code", "refresh_token" },
            ["token_endpoint_auth_method"] = "none",
        };
        change?.Invoke(document);
        _documents.Serve(path, new DocumentServer.Response(200, JsonSerializer.Serialize(document), headers));
        return clientId;
    }

    private async Task<string> AuthorizePageAsync(string clientId)
    {
        var flow = new OAuthFlow(_http);
        var response = await new Browser(_http).SendAsync(flow.AuthorizeUrl(clientId, Http.McpResource));
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Metadata_AdvertisesSupport_UnlessDisabled()
    {
        var metadata = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.True(metadata.GetProperty("client_id_metadata_document_supported").GetBoolean());

        await using var disabled = new SampleApp(configure: o => o.ClientMetadataDocuments.Enabled = false);
        var off = await Http.ReadJsonAsync(await disabled.CreateRawClient().GetAsync("/.well-known/oauth-authorization-server"));
        Assert.False(off.GetProperty("client_id_metadata_document_supported").GetBoolean());
    }

    [Fact]
    public async Task UrlClient_CompletesTheFlow_WithoutRegistering_AndTheDocumentIsFetchedOnce()
    {
        var clientId = Document("/clients/app.json");
        var flow = new OAuthFlow(_http);
        var browser = new Browser(_http);

        var location = await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");

        Assert.Contains("published by <strong>127.0.0.1</strong>", browser.LastHtml, StringComparison.Ordinal);
        Assert.Contains("Document Client", browser.LastHtml, StringComparison.Ordinal);
        var tokens = await Http.ReadJsonAsync(await flow.RedeemAsync(clientId, Http.Query(location)["code"]));
        Assert.True(tokens.TryGetProperty("refresh_token", out _));
        var refreshed = await flow.RefreshAsync(clientId, tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(1, _documents.Hits("/clients/app.json"));
    }

    [Theory]
    [InlineData("mismatch", "must equal its URL")]
    [InlineData("no-name", "no client_name")]
    [InlineData("no-redirects", "redirect_uris is required")]
    [InlineData("bad-redirect", "must use https")]
    [InlineData("not-json", "not valid JSON")]
    [InlineData("array", "not a JSON object")]
    [InlineData("too-large", "larger than")]
    [InlineData("missing", "answered HTTP 404")]
    [InlineData("slow", "took longer than")]
    [InlineData("to-private", "redirects to another host")]
    [InlineData("to-other-host", "redirects to another host")]
    [InlineData("to-http", "redirects to another host")]
    public async Task BadDocument_IsRefusedOnAPage_WithTheReason(string kind, string reason)
    {
        var path = "/clients/" + kind + ".json";
        switch (kind)
        {
            case "mismatch": Document(path, d => d["client_id"] = _documents.Url("/clients/other.json")); break;
            case "no-name": Document(path, d => d.Remove("client_name")); break;
            case "no-redirects": Document(path, d => d.Remove("redirect_uris")); break;
            case "bad-redirect": Document(path, d => d["redirect_uris"] = new[] { "http://evil.example/cb" }); break;
            case "not-json": _documents.Serve(path, new(200, "{not json")); break;
            case "array": _documents.Serve(path, new(200, "[1,2]")); break;
            case "too-large": Document(path, d => d["padding"] = new string('x', 20_000)); break;
            case "missing": break;
            case "slow": _documents.Serve(path, new(200, "{}", Delay: TimeSpan.FromSeconds(3))); break;
            case "to-private": _documents.Serve(path, new(302, "", new Dictionary<string, string> { ["Location"] = "https://10.0.0.1/client.json" })); break;
            case "to-other-host": _documents.Serve(path, new(302, "", new Dictionary<string, string> { ["Location"] = _documents.Url("/clients/app.json").Replace("127.0.0.1", "localhost", StringComparison.Ordinal) })); break;
            case "to-http": _documents.Serve(path, new(302, "", new Dictionary<string, string> { ["Location"] = "http://example.com/client.json" })); break;
        }

        var flow = new OAuthFlow(_http);
        using var response = await new Browser(_http).SendAsync(flow.AuthorizeUrl(_documents.Url(path), Http.McpResource));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(WebUtility.HtmlEncode(reason), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadDocument_AtTheTokenEndpoint_IsInvalidClientWithTheReason_NotRegisterAgain()
    {
        // A URL client id cannot register: "register again" would send it nowhere, the document's problem tells what to fix.
        var clientId = _documents.Url("/clients/gone.json");

        using var response = await new OAuthFlow(_http).RedeemAsync(clientId, "some-code");

        var error = await Http.AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal("The client's metadata document answered HTTP 404.", error.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task UrlClient_WhenDocumentsAreOff_IsToldSoOnThePageAndAtTheTokenEndpoint()
    {
        await using var off = new SampleApp(configure: o => o.ClientMetadataDocuments.Enabled = false);
        using var http = off.CreateRawClient();
        var clientId = _documents.Url("/clients/app.json");
        const string Reason = "This server does not accept client ID metadata documents: the application must register.";

        var flow = new OAuthFlow(http);
        using var page = await new Browser(http).SendAsync(flow.AuthorizeUrl(clientId, Http.McpResource));
        using var token = await flow.RedeemAsync(clientId, "some-code");

        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains(WebUtility.HtmlEncode(Reason), await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var error = await Http.AssertOAuthErrorAsync(token, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal(Reason, error.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task RedirectOnTheSameHost_IsFollowed_AndTheClientIdStaysTheFirstUrl()
    {
        // The document at the end of the redirect names the first URL as its client id.
        var clientId = _documents.Url("/clients/old.json");
        _documents.Serve("/clients/old.json", new(301, "", new Dictionary<string, string> { ["Location"] = "/clients/moved.json" }));
        Document("/clients/moved.json", d => d["client_id"] = clientId);

        using var response = await new Browser(_http).SendAsync(new OAuthFlow(_http).AuthorizeUrl(clientId, Http.McpResource));

        // Accepted: on to the login page, not an error page.
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/oauth/login", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(1, _documents.Hits("/clients/moved.json"));
    }

    [Fact]
    public async Task RedirectUriNotInTheDocument_IsRefused()
    {
        var clientId = Document("/clients/app.json");
        var flow = new OAuthFlow(_http);

        using var response = await new Browser(_http).SendAsync(flow.AuthorizeUrl(clientId, Http.McpResource, redirectUri: "https://elsewhere.example/cb"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("redirect_uri", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/a/../client.json")]
    [InlineData("/a/./client.json")]
    [InlineData("/client.json#frag")]
    public async Task UrlWithoutAPath_OrWithDotSegmentsOrAFragment_IsRefusedWithoutFetching(string path)
    {
        var clientId = _documents.BaseAddress.GetLeftPart(UriPartial.Authority) + path;

        var page = await AuthorizePageAsync(clientId);

        Assert.Contains("client_id URL", page, StringComparison.Ordinal);
        Assert.Equal(0, _documents.Hits("/client.json") + _documents.Hits("/"));
    }

    [Fact]
    public async Task LoopbackHttp_WithoutTheDevelopmentOption_IsRefused()
    {
        await using var strict = new SampleApp();
        using var http = strict.CreateRawClient();
        var clientId = Document("/clients/app.json");

        var response = await new Browser(http).SendAsync(new OAuthFlow(http).AuthorizeUrl(clientId, Http.McpResource));

        Assert.Contains("must use https", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _documents.Hits("/clients/app.json"));
    }

    [Fact]
    public async Task Document_IsCachedPerMaxAge_ThenFetchedAgain()
    {
        var clientId = Document("/clients/cached.json", headers: new Dictionary<string, string> { ["Cache-Control"] = "max-age=600" });

        await AuthorizePageAsync(clientId);
        _clock.Advance(TimeSpan.FromMinutes(9));
        await AuthorizePageAsync(clientId);
        Assert.Equal(1, _documents.Hits("/clients/cached.json"));

        _clock.Advance(TimeSpan.FromMinutes(2));
        await AuthorizePageAsync(clientId);
        Assert.Equal(2, _documents.Hits("/clients/cached.json"));
    }

    [Fact]
    public async Task Failure_IsCachedBriefly_AndConcurrentLookupsFetchOnce()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => AuthorizePageAsync(_documents.Url("/clients/absent.json"))));

        Assert.All(results, page => Assert.Contains("HTTP 404", page, StringComparison.Ordinal));
        Assert.Equal(1, _documents.Hits("/clients/absent.json"));

        _clock.Advance(TimeSpan.FromMinutes(2));
        await AuthorizePageAsync(_documents.Url("/clients/absent.json"));
        Assert.Equal(2, _documents.Hits("/clients/absent.json"));
    }

    [Theory]
    [InlineData("8.8.8.8", false, true)]
    [InlineData("2606:4700:4700::1111", false, true)]
    [InlineData("127.0.0.1", false, false)]
    [InlineData("127.0.0.1", true, true)]
    [InlineData("::1", true, true)]
    [InlineData("10.1.2.3", true, false)]
    [InlineData("172.16.5.4", true, false)]
    [InlineData("192.168.1.1", true, false)]
    [InlineData("169.254.169.254", true, false)]
    [InlineData("100.64.0.1", true, false)]
    [InlineData("0.0.0.0", true, false)]
    [InlineData("224.0.0.1", true, false)]
    [InlineData("fc00::1", true, false)]
    [InlineData("fd12:3456::1", true, false)]
    [InlineData("fe80::1", true, false)]
    [InlineData("::ffff:10.0.0.1", true, false)]
    [InlineData("::ffff:8.8.8.8", false, true)]
    [InlineData("::10.0.0.1", true, false)]
    [InlineData("2002:a00:1::1", true, false)]
    [InlineData("64:ff9b::a00:1", true, false)]
    [InlineData("64:ff9b:1::a00:1", true, false)]
    public void Addresses_OnlyPublicOnes_AreConnectedTo(string address, bool allowLoopback, bool allowed)
        => Assert.Equal(allowed, MetadataDocumentFetcher.IsAllowedAddress(IPAddress.Parse(address), allowLoopback));
}
