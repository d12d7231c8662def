using System.Net;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>Dynamic client registration (RFC 7591): public clients only, safe redirect URIs only.</summary>
public sealed class RegistrationTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    [Fact]
    public async Task Register_ValidClient_Returns201WithClientIdAndNoStore()
    {
        var response = await RegisterAsync("""
            {"client_name":"My client","redirect_uris":["https://app.example/callback"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none"}
            """);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control must be no-store.");
        var client = await Http.ReadJsonAsync(response);
        Assert.False(string.IsNullOrEmpty(client.GetProperty("client_id").GetString()));
        Assert.Equal("none", client.GetProperty("token_endpoint_auth_method").GetString());
        Assert.Equal("My client", client.GetProperty("client_name").GetString());
        Assert.Equal("https://app.example/callback", Assert.Single(client.GetProperty("redirect_uris").EnumerateArray()).GetString());
        Assert.False(client.TryGetProperty("client_secret", out _));
    }

    [Fact]
    public async Task Register_TwoClients_GetDifferentClientIds()
    {
        var first = await Http.ReadJsonAsync(await RegisterAsync("""{"redirect_uris":["https://app.example/callback"]}"""));
        var second = await Http.ReadJsonAsync(await RegisterAsync("""{"redirect_uris":["https://app.example/callback"]}"""));

        Assert.NotEqual(first.GetProperty("client_id").GetString(), second.GetProperty("client_id").GetString());
    }

    [Theory]
    [InlineData("client_secret_post")]
    [InlineData("client_secret_basic")]
    public async Task Register_AskingForASecret_IsRegisteredAsPublicClient(string method)
    {
        var response = await RegisterAsync($$"""{"redirect_uris":["https://app.example/callback"],"token_endpoint_auth_method":"{{method}}"}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var client = await Http.ReadJsonAsync(response);
        Assert.Equal("none", client.GetProperty("token_endpoint_auth_method").GetString());
        Assert.False(client.TryGetProperty("client_secret", out _));
    }

    [Theory]
    [InlineData("""{"client_name":"no redirect"}""")]
    [InlineData("""{"redirect_uris":[]}""")]
    [InlineData("""{"redirect_uris":null}""")]
    public async Task Register_WithoutRedirectUris_IsInvalidRedirectUri(string body)
    {
        await Http.AssertOAuthErrorAsync(await RegisterAsync(body), HttpStatusCode.BadRequest, "invalid_redirect_uri");
    }

    [Theory]
    [InlineData("http://app.example/callback")]
    [InlineData("http://127.0.0.1.evil.example/callback")]
    [InlineData("http://localhost.evil.example/callback")]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("https://app.example/callback#fragment")]
    [InlineData("https://user:pass@app.example/callback")]
    [InlineData("/callback")]
    [InlineData("callback")]
    [InlineData("file:///etc/passwd")]
    [InlineData("")]
    [InlineData("https://app.example/c\r\nX-Injected: 1")]
    [InlineData("https://app.example/c\nb")]
    [InlineData("https://app.example/c b")]
    [InlineData("https://app.example/c\tb")]
    [InlineData("https://app.example/caf\u00e9")]
    [InlineData("https://app.example\\@evil.example/callback")]
    public async Task Register_UnsafeRedirectUri_IsInvalidRedirectUri(string redirectUri)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["redirect_uris"] = new[] { redirectUri } });

        await Http.AssertOAuthErrorAsync(await RegisterAsync(body), HttpStatusCode.BadRequest, "invalid_redirect_uri");
    }

    [Fact]
    public async Task Register_OneUnsafeRedirectUriAmongSafeOnes_IsRefused()
    {
        await Http.AssertOAuthErrorAsync(
            await RegisterAsync("""{"redirect_uris":["https://app.example/callback","http://app.example/callback"]}"""),
            HttpStatusCode.BadRequest, "invalid_redirect_uri");
    }

    [Theory]
    [InlineData("http://127.0.0.1:7777/callback")]
    [InlineData("http://127.0.0.1/callback")]
    [InlineData("http://[::1]:7777/callback")]
    [InlineData("http://localhost:7777/callback")]
    [InlineData("https://app.example/callback?x=1")]
    public async Task Register_LoopbackHttpOrHttpsRedirectUri_IsAccepted(string redirectUri)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["redirect_uris"] = new[] { redirectUri } });

        var response = await RegisterAsync(body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(redirectUri, Assert.Single((await Http.ReadJsonAsync(response)).GetProperty("redirect_uris").EnumerateArray()).GetString());
    }

    [Theory]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","client_credentials"]}""")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"grant_types":["implicit"]}""")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"grant_types":["refresh_token"]}""")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"response_types":["token"]}""")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"response_types":["code","token"]}""")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}""")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"client_uri":"javascript:alert(1)"}""")]
    public async Task Register_UnsupportedMetadata_IsInvalidClientMetadata(string body)
    {
        await Http.AssertOAuthErrorAsync(await RegisterAsync(body), HttpStatusCode.BadRequest, "invalid_client_metadata");
    }

    [Theory]
    [InlineData("""{"redirect_uris":"https://app.example/cb"}""", "invalid_redirect_uri")]
    [InlineData("""{"redirect_uris":[42]}""", "invalid_redirect_uri")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"client_name":42}""", "invalid_client_metadata")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"client_name":{"x":1}}""", "invalid_client_metadata")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"grant_types":"authorization_code"}""", "invalid_client_metadata")]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":true}""", "invalid_client_metadata")]
    public async Task Register_WrongJsonTypes_Is400WithJsonError(string body, string error)
    {
        await Http.AssertOAuthErrorAsync(await RegisterAsync(body), HttpStatusCode.BadRequest, error);
    }

    [Fact]
    public async Task Register_NotJson_IsUnsupportedMediaType()
    {
        var response = await _http.PostAsync("/oauth/register", new StringContent("""{"redirect_uris":["https://app.example/cb"]}""", Encoding.UTF8, "text/plain"));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "invalid_request");
    }

    private Task<HttpResponseMessage> RegisterAsync(string json)
        => _http.PostAsync("/oauth/register", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Register_WhenFull_EvictsTheOldestUnusedClient_AndKeepsClientsWithAGrant()
    {
        await using var app = new SampleApp(configure: o => o.Registration.MaxClients = 2);
        using var http = app.CreateRawClient();
        var used = new OAuthFlow(http);
        var usedId = await used.RegisterAsync("used");
        await used.AuthorizeAsync(usedId, Http.McpResource);          // a grant: never evicted
        var idle = await new OAuthFlow(http).RegisterAsync("idle");

        var newcomer = await new OAuthFlow(http).RegisterAsync("newcomer");   // the store is full: "idle" makes room

        Assert.Equal(HttpStatusCode.Redirect, (await AuthorizePageAsync(http, usedId)).StatusCode);
        await Http.AssertErrorPageAsync(await AuthorizePageAsync(http, idle));
        Assert.Equal(HttpStatusCode.Redirect, (await AuthorizePageAsync(http, newcomer)).StatusCode);
    }

    [Fact]
    public async Task Register_WhenFull_KeepsAClientWhoseUserIsOnTheConsentPage()
    {
        await using var app = new SampleApp(configure: o => o.Registration.MaxClients = 2);
        using var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        var deciding = await flow.RegisterAsync("deciding");
        var consent = await Http.OpenConsentAsync(http, flow.AuthorizeUrl(deciding, Http.McpResource), "alice");
        Assert.Equal(HttpStatusCode.OK, consent.Response.StatusCode);
        var idle = await new OAuthFlow(http).RegisterAsync("idle");

        await new OAuthFlow(http).RegisterAsync("newcomer");

        Assert.Equal(HttpStatusCode.Redirect, (await AuthorizePageAsync(http, deciding)).StatusCode);
        await Http.AssertErrorPageAsync(await AuthorizePageAsync(http, idle));
    }

    [Fact]
    public async Task Register_WhenFullOfClientsWithGrants_IsTemporarilyUnavailable()
    {
        await using var app = new SampleApp(configure: o => o.Registration.MaxClients = 1);
        using var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);
        await flow.AuthorizeAsync(await flow.RegisterAsync(), Http.McpResource);

        var response = await http.PostAsync("/oauth/register", new StringContent("""{"redirect_uris":["http://127.0.0.1/cb"]}""", System.Text.Encoding.UTF8, "application/json"));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
    }

    // Not signed in: a known client gets the redirect to the login page, an unknown one the error page.
    private static Task<HttpResponseMessage> AuthorizePageAsync(HttpClient http, string clientId)
        => http.GetAsync(new OAuthFlow(http).AuthorizeUrl(clientId, Http.McpResource));

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    public async Task Register_InvalidUtf8InAString_Is400_Never500(byte[] bad)
    {
        var body = System.Text.Encoding.UTF8.GetBytes("""{"redirect_uris":["https://app.example/cb"],"client_name":"x""").Concat(bad).Concat(System.Text.Encoding.UTF8.GetBytes("\"}")).ToArray();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await _http.PostAsync("/oauth/register", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("invalid_", (await Http.ReadJsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"redirect_uris":["https://app.example/cb"],"client_name":"\ud800"}""", "invalid_client_metadata")]
    [InlineData("""{"redirect_uris":["https://app.example/cb\udc00"]}""", "invalid_redirect_uri")]
    public async Task Register_LoneSurrogate_IsTheRfcError_Never500(string json, string error)
        => await Http.AssertOAuthErrorAsync(await RegisterAsync(json), HttpStatusCode.BadRequest, error);
}
