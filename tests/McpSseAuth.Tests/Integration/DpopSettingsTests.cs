using System.Net;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// What a host decides about DPoP (<see cref="McpOAuthDpopOptions"/>): required for all, nonces required, or off; and a
/// configured client that must use it.
/// </summary>
public sealed class DpopSettingsTests : IDisposable
{
    private readonly DpopKey _key = DpopKey.Es256();

    [Fact]
    public async Task Required_RefusesTokenRequestsWithoutAProof_AndBearerTokens_AndSaysSo()
    {
        await using var app = new SampleApp(configure: o => o.Dpop.Required = true);
        using var http = app.CreateRawClient();
        var client = new DpopClient(http, _key);
        // A bearer token of this server, as one issued before DPoP became required would be.
        var bearer = app.Services.GetRequiredService<AccessTokenIssuer>().Issue(Http.Base, [Http.McpResource], new Grants.GrantSubject("alice", null), "legacy-client", ["mcp:tools"], "grant-legacy").Token;

        var (_, withoutProof) = await client.RedeemAsync(proof: false);
        var metadata = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        using var bearerRequest = await client.SendAsync(HttpMethod.Post, "/mcp", bearer, scheme: "Bearer", proof: "");
        using var anonymous = await client.SendAsync(HttpMethod.Post, "/mcp", "", scheme: "Bearer", proof: "");
        var tokens = await client.GetTokensAsync();
        using var bound = await client.SendAsync(HttpMethod.Post, "/mcp", tokens.AccessToken);

        await Http.AssertOAuthErrorAsync(withoutProof, HttpStatusCode.BadRequest, "invalid_dpop_proof");
        Assert.True(metadata.GetProperty("dpop_bound_access_tokens_required").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, bearerRequest.StatusCode);
        Assert.Contains("DPoP-bound access tokens only", DpopClient.Challenge(bearerRequest, "DPoP"), StringComparison.Ordinal);
        Assert.Null(DpopClient.Challenge(anonymous, "Bearer"));
        Assert.NotNull(DpopClient.Challenge(anonymous, "DPoP"));
        Assert.Equal(HttpStatusCode.OK, bound.StatusCode);
    }

    [Fact]
    public async Task RequireNonce_AtTheTokenEndpoint_AnswersUseDpopNonce_AndTheRetryWithItGetsTheTokens()
    {
        await using var app = new SampleApp(configure: o => o.Dpop.RequireNonce = true);
        using var http = app.CreateRawClient();
        var client = new DpopClient(http, _key);
        var (_, form) = await client.CodeFormAsync();

        using var first = await client.TokenAsync(form, _key);
        await Http.AssertOAuthErrorAsync(first, HttpStatusCode.BadRequest, "use_dpop_nonce");
        var nonce = first.Headers.GetValues("DPoP-Nonce").Single();
        using var retry = await client.TokenAsync(form, _key, nonce);
        var tokens = await Http.ReadJsonAsync(retry);
        Assert.True(retry.IsSuccessStatusCode, tokens.ToString());
        var accessToken = tokens.GetProperty("access_token").GetString()!;

        // The resource asks for its nonce the same way, in the DPoP challenge.
        using var withoutNonce = await client.SendAsync(HttpMethod.Post, "/mcp", accessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutNonce.StatusCode);
        Assert.Contains("error=\"use_dpop_nonce\"", DpopClient.Challenge(withoutNonce, "DPoP"), StringComparison.Ordinal);
        var resourceNonce = withoutNonce.Headers.GetValues("DPoP-Nonce").Single();
        using var withNonce = await client.SendAsync(HttpMethod.Post, "/mcp", accessToken, proof: _key.Proof("POST", Http.McpResource, accessToken, resourceNonce));
        Assert.Equal(HttpStatusCode.OK, withNonce.StatusCode);
    }

    [Fact]
    public async Task Disabled_IgnoresProofs_AdvertisesNothing_AndRefusesBoundTokens()
    {
        await using var app = new SampleApp(configure: o => o.Dpop.Enabled = false);
        using var http = app.CreateRawClient();
        var client = new DpopClient(http, _key);
        var bound = app.Services.GetRequiredService<AccessTokenIssuer>().Issue(Http.Base, [Http.McpResource], new Grants.GrantSubject("alice", null), "c", ["mcp:tools"], "grant-bound", _key.Thumbprint()).Token;

        var (_, redeemed) = await client.RedeemAsync();
        var server = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        var resource = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-protected-resource/mcp"));
        using var boundAsBearer = await client.SendAsync(HttpMethod.Post, "/mcp", bound, scheme: "Bearer");

        Assert.Equal("Bearer", (await Http.ReadJsonAsync(redeemed)).GetProperty("token_type").GetString());
        Assert.False(server.TryGetProperty("dpop_signing_alg_values_supported", out _));
        Assert.False(resource.TryGetProperty("dpop_signing_alg_values_supported", out var algs) && algs.ValueKind == System.Text.Json.JsonValueKind.Array);
        Assert.Equal(HttpStatusCode.Unauthorized, boundAsBearer.StatusCode);
        Assert.Null(DpopClient.Challenge(boundAsBearer, "DPoP"));
    }

    [Fact]
    public async Task AConfiguredClient_ThatRequiresDpop_GetsNoTokenWithoutAProof()
    {
        await using var app = new SampleApp(configure: o => o.Clients.Add(new McpOAuthClient { ClientId = "desktop-app", RedirectUris = { OAuthFlow.RedirectUri }, RequireDpop = true }));
        using var http = app.CreateRawClient();
        var client = new DpopClient(http, _key);

        var (_, withoutProof) = await client.RedeemAsync(proof: false, clientId: "desktop-app");
        var (_, withProof) = await client.RedeemAsync(clientId: "desktop-app");

        await Http.AssertOAuthErrorAsync(withoutProof, HttpStatusCode.BadRequest, "invalid_dpop_proof");
        Assert.Equal("DPoP", (await Http.ReadJsonAsync(withProof)).GetProperty("token_type").GetString());
    }

    [Theory]
    [InlineData("proof lifetime zero")]
    [InlineData("required while off")]
    [InlineData("client requires while off")]
    public void Misconfiguration_StopsTheAppAtStartup(string problem)
    {
        var options = new McpOAuthOptions();
        switch (problem)
        {
            case "proof lifetime zero":
                options.Dpop.ProofLifetime = TimeSpan.Zero;
                break;
            case "required while off":
                options.Dpop.Enabled = false;
                options.Dpop.Required = true;
                break;
            default:
                options.Dpop.Enabled = false;
                options.Clients.Add(new McpOAuthClient { ClientId = "desktop-app", RedirectUris = { OAuthFlow.RedirectUri }, RequireDpop = true });
                break;
        }

        var result = new Hosting.McpOAuthOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Dpop", result.FailureMessage, StringComparison.Ordinal);
    }

    public void Dispose() => _key.Dispose();
}
