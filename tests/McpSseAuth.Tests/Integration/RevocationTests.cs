using System.Net;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Token revocation (RFC 7009): a client revokes its refresh or access token and the whole grant ends at once; anything
/// else (unknown, garbage, another client's token) answers 200 and revokes nothing; a malformed request gets the RFC error.
/// </summary>
public sealed class RevocationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly SampleApp _app;
    private readonly HttpClient _http;

    public RevocationTests()
    {
        _app = new SampleApp(services: s => s.AddSingleton<TimeProvider>(_clock));
        _http = _app.CreateRawClient();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private Task<HttpResponseMessage> RevokeAsync(IDictionary<string, string> form)
        => _http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(form));

    private async Task<HttpStatusCode> CallMcpAsync(string accessToken)
    {
        using var response = await McpWire.PostJsonAsync(_http, "/mcp", Http.InitializeBody, accessToken);
        return response.StatusCode;
    }

    private async Task AssertGrantEndedAsync(TokenSet tokens)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await CallMcpAsync(tokens.AccessToken));
        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
    }

    private async Task AssertGrantLivesAsync(TokenSet tokens)
    {
        Assert.Equal(HttpStatusCode.OK, await CallMcpAsync(tokens.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task Metadata_AdvertisesTheRevocationEndpoint()
    {
        var metadata = await Http.ReadJsonAsync(await _http.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.Equal("http://localhost/oauth/revoke", metadata.GetProperty("revocation_endpoint").GetString());
        Assert.Equal(["none"], metadata.GetProperty("revocation_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("refresh", null)]
    [InlineData("refresh", "refresh_token")]
    [InlineData("refresh", "access_token")]
    [InlineData("access", null)]
    [InlineData("access", "access_token")]
    [InlineData("access", "refresh_token")]
    [InlineData("access", "id_token")]
    public async Task RevokingEitherToken_EndsTheWholeGrant_WhateverTheHint(string which, string? hint)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var other = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var form = new Dictionary<string, string> { ["client_id"] = tokens.ClientId, ["token"] = which == "refresh" ? tokens.RefreshToken : tokens.AccessToken };
        if (hint is not null)
        {
            form["token_type_hint"] = hint;
        }

        using var response = await RevokeAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        await AssertGrantEndedAsync(tokens);
        await AssertGrantLivesAsync(other);
    }

    [Fact]
    public async Task AnotherClientsToken_Answers200_AndRevokesNothing()
    {
        var victim = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var attacker = await new OAuthFlow(_http).RegisterAsync();

        foreach (var token in new[] { victim.RefreshToken, victim.AccessToken })
        {
            using var response = await RevokeAsync(new Dictionary<string, string> { ["client_id"] = attacker, ["token"] = token });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await AssertGrantLivesAsync(victim);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")]
    public async Task UnknownOrForgedToken_Answers200(string token)
    {
        var clientId = await new OAuthFlow(_http).RegisterAsync();
        using var response = await RevokeAsync(new Dictionary<string, string> { ["client_id"] = clientId, ["token"] = token });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ExpiredAccessToken_StillEndsItsGrant()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        _clock.Advance(TimeSpan.FromHours(2));

        using var response = await RevokeAsync(new Dictionary<string, string> { ["client_id"] = tokens.ClientId, ["token"] = tokens.AccessToken });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Http.AssertOAuthErrorAsync(await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task RevokedGrant_LeavesTheConnectedAppsList()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var access = _app.Services.GetRequiredService<IMcpUserAccess>();
        Assert.Single(await access.ListGrantsAsync("alice"));

        await RevokeAsync(new Dictionary<string, string> { ["client_id"] = tokens.ClientId, ["token"] = tokens.RefreshToken });

        Assert.Empty(await access.ListGrantsAsync("alice"));
    }

    [Fact]
    public async Task MissingToken_IsInvalidRequest()
    {
        var clientId = await new OAuthFlow(_http).RegisterAsync();
        await Http.AssertOAuthErrorAsync(await RevokeAsync(new Dictionary<string, string> { ["client_id"] = clientId }), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("unknown-client")]
    public async Task MissingOrUnknownClient_IsInvalidClient(string? clientId)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var form = new Dictionary<string, string> { ["token"] = tokens.RefreshToken };
        if (clientId is not null)
        {
            form["client_id"] = clientId;
        }

        await Http.AssertOAuthErrorAsync(await RevokeAsync(form), HttpStatusCode.Unauthorized, "invalid_client");
        await AssertGrantLivesAsync(tokens);
    }

    [Fact]
    public async Task Get_Is405WithAnOAuthError()
    {
        using var response = await _http.GetAsync("/oauth/revoke?token=x");
        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.MethodNotAllowed, "invalid_request");
    }
}
