using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Enterprise-managed authorization (SEP-990; ext-auth "Enterprise-Managed Authorization" §5): an identity assertion
/// grant (ID-JAG) of a trusted provider for an access token. The attacker's grants: unsigned by the provider, for another
/// server, client or resource, too long-lived, replayed, asking more than the provider granted; and a user the server's
/// own access rules refuse.
/// </summary>
public sealed class IdentityAssertionGrantTests(IdentityAssertionGrantTests.Fixture fixture) : IClassFixture<IdentityAssertionGrantTests.Fixture>
{
    private const string ClientId = Fixture.ClientId;
    private const string Secret = Fixture.Secret;
    private const string OtherClientId = Fixture.OtherClientId;

    private readonly EnterpriseIdp _idp = fixture.Idp;
    private readonly SampleApp _app = fixture.App;
    private readonly HttpClient _http = fixture.App.CreateRawClient();

    /// <summary>One provider and one sample trusting it, for the whole class.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public const string ClientId = "enterprise-agent";
        public const string Secret = "agent-secret-0123456789abcdef0123456789";
        public const string OtherClientId = "other-agent";

        public Fixture() => App = new SampleApp(configure: o =>
        {
            o.Clients.Add(new McpOAuthClient { ClientId = ClientId, ClientSecret = Secret });
            o.Clients.Add(new McpOAuthClient { ClientId = OtherClientId, ClientSecret = Secret });
            var provider = new McpEnterpriseIdentityProvider { Name = "acme", Issuer = Idp.Issuer, JwksJson = Idp.JwksJson() };
            provider.ClientIds.Add(ClientId);
            o.EnterpriseIdentityProviders.Add(provider);
            o.SignIn.AccessRules.AllowedEmailDomains.Add("example.com");
        });

        public EnterpriseIdp Idp { get; } = new();

        public SampleApp App { get; }

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            await App.DisposeAsync();
            await Idp.DisposeAsync();
        }
    }

    private string Grant(string user = "alice", Action<Dictionary<string, object>>? change = null, string type = "oauth-id-jag+jwt", TimeSpan? lifetime = null, string? scope = null, string? email = null, string clientId = ClientId)
        => _idp.Grant(user, Http.Base, Http.McpResource, clientId, scope, change, type, lifetime, email);

    private Task<HttpResponseMessage> RedeemAsync(string assertion, string clientId = ClientId, string? scope = null, string? resource = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer", ["assertion"] = assertion };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        if (resource is not null)
        {
            form["resource"] = resource;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(clientId + ":" + Secret)));
        return _http.SendAsync(request);
    }

    [Fact]
    public async Task AGrantOfTheTrustedProvider_GetsAnAccessTokenForItsResource_AsTheSameUserAnUpstreamSignInWouldBe()
    {
        using var response = await RedeemAsync(Grant(scope: "mcp:tools"));
        var body = await Http.ReadJsonAsync(response);

        Assert.True(response.IsSuccessStatusCode, body.ToString());
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.False(body.TryGetProperty("refresh_token", out _));
        var accessToken = body.GetProperty("access_token").GetString()!;
        var claims = DpopKey.Payload(accessToken);
        Assert.Equal(Users.UpstreamIdentity.SubjectFor(_idp.Issuer, "alice"), claims.GetProperty("sub").GetString());
        Assert.Equal(ClientId, claims.GetProperty("client_id").GetString());
        Assert.Equal(Http.McpResource, claims.GetProperty("aud").GetString());
        Assert.Equal("mcp:tools", claims.GetProperty("scope").GetString());
        using var mcp = await McpWire.PostJsonAsync(_http, "/mcp", McpWire.Initialize, accessToken);
        Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
    }

    [Fact]
    public async Task TheMetadata_OffersTheGrantType()
    {
        var metadata = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-authorization-server"));

        Assert.Contains("urn:ietf:params:oauth:grant-type:jwt-bearer", metadata.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
    }

    public static TheoryData<string> HostileGrants => new()
    {
        "typ JWT", "signed by another key", "another issuer", "for another server", "expired", "lives an hour", "no jti", "no resource",
        "resource of another server", "no subject", "no iat",
    };

    [Theory]
    [MemberData(nameof(HostileGrants))]
    public async Task AHostileGrant_IsInvalidGrant(string departure)
    {
        await using var other = new EnterpriseIdp(_idp.Issuer);
        await using var stranger = new EnterpriseIdp("https://other-idp.example.com");
        var assertion = departure switch
        {
            "typ JWT" => Grant(type: "JWT"),
            "signed by another key" => other.Grant("alice", Http.Base, Http.McpResource, ClientId),
            "another issuer" => stranger.Grant("alice", Http.Base, Http.McpResource, ClientId),
            "for another server" => _idp.Grant("alice", "https://other-server.example.com", Http.McpResource, ClientId),
            "expired" => Grant(change: c => { c["iat"] = DateTimeOffset.UtcNow.AddMinutes(-20).ToUnixTimeSeconds(); c["exp"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(); }),
            "lives an hour" => Grant(lifetime: TimeSpan.FromHours(1)),
            "no jti" => Grant(change: c => c.Remove("jti")),
            "no resource" => Grant(change: c => c.Remove("resource")),
            "resource of another server" => Grant(change: c => c["resource"] = "https://other-server.example.com/mcp"),
            "no subject" => Grant(change: c => c.Remove("sub")),
            _ => Grant(change: c => c["iat"] = "yesterday"),
        };

        using var response = await RedeemAsync(assertion);

        var error = departure == "resource of another server" ? "invalid_target" : "invalid_grant";
        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, error);
    }

    [Fact]
    public async Task AGrant_IsUsedOnce()
    {
        var assertion = Grant();

        using var first = await RedeemAsync(assertion);
        using var second = await RedeemAsync(assertion);

        Assert.True(first.IsSuccessStatusCode);
        var body = await Http.AssertOAuthErrorAsync(second, HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Contains("already used", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGrantIssuedToAnotherClient_OrPresentedByAClientTheProviderMayNotServe_IsRefused()
    {
        using var stolen = await RedeemAsync(Grant(), clientId: OtherClientId);
        using var unlisted = await RedeemAsync(Grant(clientId: OtherClientId), clientId: OtherClientId);

        await Http.AssertOAuthErrorAsync(stolen, HttpStatusCode.BadRequest, "invalid_grant");
        await Http.AssertOAuthErrorAsync(unlisted, HttpStatusCode.BadRequest, "unauthorized_client");
    }

    [Fact]
    public async Task AScopeBeyondWhatTheProviderGranted_IsInvalidScope_AndWithinItNarrows()
    {
        using var beyond = await RedeemAsync(Grant(scope: "mcp:tools"), scope: "mcp:tools " + SampleServer.SampleScopes.Admin);
        using var within = await RedeemAsync(Grant(scope: "mcp:tools " + SampleServer.SampleScopes.Admin), scope: "mcp:tools");

        await Http.AssertOAuthErrorAsync(beyond, HttpStatusCode.BadRequest, "invalid_scope");
        Assert.Equal("mcp:tools", (await Http.ReadJsonAsync(within)).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task AUserTheAccessRulesRefuse_GetsNoToken()
    {
        using var response = await RedeemAsync(Grant(user: "eve", email: "eve@elsewhere.example"));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task TheGrantIsListed_AndRevokingTheClientEndsItsTokenAtOnce()
    {
        using var response = await RedeemAsync(Grant());
        var accessToken = (await Http.ReadJsonAsync(response)).GetProperty("access_token").GetString()!;
        var subject = Users.UpstreamIdentity.SubjectFor(_idp.Issuer, "alice");
        var access = _app.Services.GetRequiredService<IMcpUserAccess>();

        Assert.Contains(await access.ListGrantsAsync(subject), g => g.ClientId == ClientId);
        await access.RevokeClientAsync(subject, ClientId);
        using var mcp = await McpWire.PostJsonAsync(_http, "/mcp", McpWire.Initialize, accessToken);

        Assert.Equal(HttpStatusCode.Unauthorized, mcp.StatusCode);
    }

    [Fact]
    public async Task WithADpopProof_TheTokenIsBoundToTheKey()
    {
        using var key = DpopKey.Es256();
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer", ["assertion"] = Grant() }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ClientId + ":" + Secret)));
        request.Headers.Add("DPoP", key.Proof("POST", Http.Base + "/oauth/token"));

        var body = await Http.ReadJsonAsync(await _http.SendAsync(request));

        Assert.Equal("DPoP", body.GetProperty("token_type").GetString());
        Assert.Equal(key.Thumbprint(), DpopKey.Payload(body.GetProperty("access_token").GetString()!).GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Theory]
    [InlineData("no client ids")]
    [InlineData("issuer not a URL")]
    [InlineData("private key")]
    public void AMisconfiguredProvider_StopsTheAppAtStartup(string problem)
    {
        var options = new McpOAuthOptions();
        var provider = new McpEnterpriseIdentityProvider { Name = "acme", Issuer = "https://idp.example.com", JwksJson = _idp.JwksJson() };
        provider.ClientIds.Add(ClientId);
        switch (problem)
        {
            case "no client ids":
                provider.ClientIds.Clear();
                break;
            case "issuer not a URL":
                provider.Issuer = "acme";
                break;
            default:
                provider.JwksJson = """{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"secret"}]}""";
                break;
        }

        options.EnterpriseIdentityProviders.Add(provider);

        var result = new Hosting.McpOAuthOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("EnterpriseIdentityProviders[0]", result.FailureMessage, StringComparison.Ordinal);
    }
}
