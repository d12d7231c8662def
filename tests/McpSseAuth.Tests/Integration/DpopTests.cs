using System.Net;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// DPoP (RFC 9449) end to end on the test server, with DPoP on by default and not required: bound tokens for clients that
/// send a proof, refused without a proof of their key on every MCP request of both transports; the attacker holds the token
/// but not the key.
/// </summary>
public sealed class DpopTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.CreateClient();
    private readonly DpopKey _key = DpopKey.Es256();

    private DpopClient Client(DpopKey? key = null) => new(_http, key ?? _key);

    [Fact]
    public async Task BothMetadataDocuments_AdvertiseTheProofAlgorithms_AndDpopIsNotRequired()
    {
        var server = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-authorization-server"));
        var resource = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-protected-resource/mcp"));

        Assert.Contains("ES256", server.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()));
        Assert.DoesNotContain("none", server.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("ES256", resource.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()));
        Assert.False(resource.TryGetProperty("dpop_bound_access_tokens_required", out var required) && required.GetBoolean());
    }

    [Fact]
    public async Task ATokenRequestWithAProof_GetsATokenBoundToItsKey_OfTypeDPoP()
    {
        var tokens = await Client().GetTokensAsync();

        Assert.Equal(_key.Thumbprint(), DpopClient.Claims(tokens.AccessToken).GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task ATokenRequestWithoutAProof_GetsABearerToken_WithoutCnf()
    {
        var (_, response) = await Client().RedeemAsync(proof: false);
        var body = await Http.ReadJsonAsync(response);

        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.False(DpopClient.Claims(body.GetProperty("access_token").GetString()!).TryGetProperty("cnf", out _));
    }

    [Fact]
    public async Task ABoundToken_WithAProofOfItsKey_IsAccepted_OnStreamableHttp()
    {
        var tokens = await Client().GetTokensAsync();

        using var response = await Client().SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("serverInfo", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABoundToken_SentAsABearerToken_IsRefused()
    {
        // RFC 9449 §7.2: the thief who copied the token from a log has no key.
        var tokens = await Client().GetTokensAsync();

        using var response = await Client().SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken, scheme: "Bearer", proof: "");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", DpopClient.Challenge(response, "Bearer"), StringComparison.Ordinal);
        Assert.Contains("DPoP-bound", DpopClient.Challenge(response, "Bearer"), StringComparison.Ordinal);
        Assert.Contains("algs=\"ES256", DpopClient.Challenge(response, "DPoP"), StringComparison.Ordinal);
    }

    public static TheoryData<string> StolenTokenAttempts => new()
    {
        "no proof", "proof of another key", "proof for another URI", "proof for another method", "proof naming another token", "replayed proof",
    };

    [Theory]
    [MemberData(nameof(StolenTokenAttempts))]
    public async Task ABoundToken_WithoutAValidProofOfItsKey_Is401InTheDpopChallenge(string attempt)
    {
        var tokens = await Client().GetTokensAsync();
        using var attacker = DpopKey.Es256();
        var replayed = _key.Proof("POST", Http.McpResource, tokens.AccessToken);
        if (attempt == "replayed proof")
        {
            using var first = await Client().SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken, proof: replayed);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var proof = attempt switch
        {
            "no proof" => "",
            "proof of another key" => attacker.Proof("POST", Http.McpResource, tokens.AccessToken),
            "proof for another URI" => _key.Proof("POST", Http.SseResource, tokens.AccessToken),
            "proof for another method" => _key.Proof("GET", Http.McpResource, tokens.AccessToken),
            "proof naming another token" => _key.Proof("POST", Http.McpResource, "another.access.token"),
            _ => replayed,
        };

        using var response = await Client().SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken, proof: proof);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_dpop_proof\"", DpopClient.Challenge(response, "DPoP"), StringComparison.Ordinal);
        Assert.DoesNotContain("error=", DpopClient.Challenge(response, "Bearer"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABearerToken_SentWithTheDpopScheme_IsRefused()
    {
        var (_, redeemed) = await Client().RedeemAsync(proof: false);
        var bearer = (await Http.ReadJsonAsync(redeemed)).GetProperty("access_token").GetString()!;

        using var response = await Client().SendAsync(HttpMethod.Post, "/mcp", bearer);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not DPoP-bound", DpopClient.Challenge(response, "DPoP"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LegacySse_TheStreamAndEachMessage_NeedAProofOfTheKey()
    {
        var tokens = await Client().GetTokensAsync(Http.SseResource);
        using var stream = await Client().SendAsync(HttpMethod.Get, "/sse", tokens.AccessToken, json: null, completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var messagePath = await McpWire.ReadEndpointEventAsync(reader);

        using var withoutProof = await Client().SendAsync(HttpMethod.Post, messagePath, tokens.AccessToken, proof: "");
        using var asBearer = await Client().SendAsync(HttpMethod.Post, messagePath, tokens.AccessToken, scheme: "Bearer", proof: "");
        // The proof's htu leaves out the query (RFC 9449 §4.2), here the session id.
        using var withProof = await Client().SendAsync(HttpMethod.Post, messagePath, tokens.AccessToken, proof: _key.Proof("POST", Http.Base + messagePath.Split('?')[0], tokens.AccessToken));

        Assert.Equal(HttpStatusCode.Unauthorized, withoutProof.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, asBearer.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, withProof.StatusCode);
        Assert.Contains("serverInfo", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LegacySse_TheStream_WithoutAProof_IsRefused()
    {
        var tokens = await Client().GetTokensAsync(Http.SseResource);

        using var stream = await Client().SendAsync(HttpMethod.Get, "/sse", tokens.AccessToken, json: null, proof: "", completion: HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Unauthorized, stream.StatusCode);
    }

    [Fact]
    public async Task APublicClientsRefreshToken_IsBoundToTheKey_RefreshedOnlyWithIt_AndNotSpentByAnAttempt()
    {
        var tokens = await Client().GetTokensAsync();
        using var attacker = DpopKey.Es256();

        using var withoutProof = await Client().RefreshAsync(tokens.ClientId, tokens.RefreshToken, with: null);
        using var withOtherKey = await Client().RefreshAsync(tokens.ClientId, tokens.RefreshToken, with: attacker);
        using var withTheKey = await Client().RefreshAsync(tokens.ClientId, tokens.RefreshToken, with: _key);

        await Http.AssertOAuthErrorAsync(withoutProof, HttpStatusCode.BadRequest, "invalid_dpop_proof");
        await Http.AssertOAuthErrorAsync(withOtherKey, HttpStatusCode.BadRequest, "invalid_grant");
        var refreshed = await Http.ReadJsonAsync(withTheKey);
        Assert.True(withTheKey.IsSuccessStatusCode, refreshed.ToString());
        Assert.Equal("DPoP", refreshed.GetProperty("token_type").GetString());
        Assert.Equal(_key.Thumbprint(), DpopClient.Claims(refreshed.GetProperty("access_token").GetString()!).GetProperty("cnf").GetProperty("jkt").GetString());

        // The successor keeps the binding.
        using var successorWithOtherKey = await Client().RefreshAsync(tokens.ClientId, refreshed.GetProperty("refresh_token").GetString()!, with: attacker);
        await Http.AssertOAuthErrorAsync(successorWithOtherKey, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task ABadProofAtTheTokenEndpoint_IsInvalidDpopProof_AndDoesNotSpendTheCode()
    {
        var (_, form) = await Client().CodeFormAsync();
        using var bad = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new FormUrlEncodedContent(form) };
        bad.Headers.Add("DPoP", _key.Proof("POST", Http.Base + "/oauth/register"));

        await Http.AssertOAuthErrorAsync(await _http.SendAsync(bad), HttpStatusCode.BadRequest, "invalid_dpop_proof");
        using var retry = await Client().TokenAsync(form, _key);
        Assert.True(retry.IsSuccessStatusCode, await retry.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AClientRegisteredWithDpopBoundAccessTokens_IsRefusedATokenWithoutAProof()
    {
        using var registered = await _http.PostAsync("/oauth/register", new StringContent(
            $$"""{"redirect_uris":["{{OAuthFlow.RedirectUri}}"],"dpop_bound_access_tokens":true}""", System.Text.Encoding.UTF8, "application/json"));
        var registration = await Http.ReadJsonAsync(registered);
        var clientId = registration.GetProperty("client_id").GetString()!;

        var (_, withoutProof) = await Client().RedeemAsync(proof: false, clientId: clientId);
        var (_, withProof) = await Client().RedeemAsync(clientId: clientId);

        Assert.True(registration.GetProperty("dpop_bound_access_tokens").GetBoolean());
        await Http.AssertOAuthErrorAsync(withoutProof, HttpStatusCode.BadRequest, "invalid_dpop_proof");
        Assert.Equal("DPoP", (await Http.ReadJsonAsync(withProof)).GetProperty("token_type").GetString());
    }

    [Fact]
    public async Task AStepUpChallenge_ToADpopClient_IsInTheDpopScheme()
    {
        var tokens = await Client().GetTokensAsync();
        using var initialized = await Client().SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken);
        var session = initialized.Headers.GetValues("Mcp-Session-Id").Single();

        using var call = await Client().SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken,
            json: """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"server_stats","arguments":{}}}""", sessionId: session);

        Assert.Equal(HttpStatusCode.Forbidden, call.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", DpopClient.Challenge(call, "DPoP"), StringComparison.Ordinal);
    }

    private async Task<(string ClientId, Dictionary<string, string> Redirect, OAuthFlow Flow)> AuthorizeWithDpopJktAsync(string dpopJkt)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var location = await new Browser(_http).AuthorizeAsync(flow.AuthorizeUrl(clientId, Http.McpResource, overrides: new Dictionary<string, string?> { ["dpop_jkt"] = dpopJkt }), "alice", "alice", "allow");
        return (clientId, Http.Query(location), flow);
    }

    [Fact]
    public async Task ACodeBoundToAKeyByDpopJkt_IsRedeemedOnlyWithAProofOfThatKey()
    {
        // RFC 9449 §10: the client binds the code to its key at the authorization request, so a stolen code is no use
        // without the key, not even together with the stolen PKCE verifier.
        using var attacker = DpopKey.Es256();
        var (clientId, redirect, flow) = await AuthorizeWithDpopJktAsync(_key.Thumbprint());
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = redirect["code"],
            ["code_verifier"] = flow.Verifier,
            ["redirect_uri"] = OAuthFlow.RedirectUri,
        };

        using var withOtherKey = await Client().TokenAsync(form, attacker);
        var (secondClient, second, secondFlow) = await AuthorizeWithDpopJktAsync(_key.Thumbprint());
        var secondForm = new Dictionary<string, string>(form) { ["client_id"] = secondClient, ["code"] = second["code"], ["code_verifier"] = secondFlow.Verifier };
        using var withoutProof = await Client().TokenAsync(secondForm, with: null);
        var (thirdClient, third, thirdFlow) = await AuthorizeWithDpopJktAsync(_key.Thumbprint());
        using var withTheKey = await Client().TokenAsync(new Dictionary<string, string>(form) { ["client_id"] = thirdClient, ["code"] = third["code"], ["code_verifier"] = thirdFlow.Verifier }, _key);

        await Http.AssertOAuthErrorAsync(withOtherKey, HttpStatusCode.BadRequest, "invalid_grant");
        await Http.AssertOAuthErrorAsync(withoutProof, HttpStatusCode.BadRequest, "invalid_grant");
        var tokens = await Http.ReadJsonAsync(withTheKey);
        Assert.True(withTheKey.IsSuccessStatusCode, tokens.ToString());
        Assert.Equal(_key.Thumbprint(), DpopClient.Claims(tokens.GetProperty("access_token").GetString()!).GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Theory]
    [InlineData("not-a-thumbprint")]
    [InlineData("0123456789012345678901234567890123456789012+")]
    public async Task AMalformedDpopJkt_IsInvalidRequest_SentBackToTheClient(string dpopJkt)
    {
        var (_, redirect, _) = await AuthorizeWithDpopJktAsync(dpopJkt);

        Assert.Equal("invalid_request", redirect["error"]);
    }

    public void Dispose() => _key.Dispose();
}
