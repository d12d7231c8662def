using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using McpSseAuth.Keys;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The signing key ring seen from outside: tokens keep working across a rotation until they expire, the JWKS announces the
/// next key before it signs and forgets a retired one after its tokens expired, and a restart over the same KeyDirectory
/// keeps the ring. Period 1 h: the next key is published at 45 min and signs at 60 min; tokens live 30 min, so a retired
/// key verifies until 90.5 min (AccessTokenLifetime + the default 30 s ClockSkew).
/// </summary>
public sealed class KeyRotationTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly DateTimeOffset _start;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mcpsseauth-rotation-" + Guid.NewGuid().ToString("N"));

    public KeyRotationTests() => _start = _clock.GetUtcNow();

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private SampleApp App(string? folder = null, string algorithm = "ES256") => new(
        configure: o =>
        {
            o.Signing.RotationPeriod = TimeSpan.FromHours(1);
            o.Tokens.AccessTokenLifetime = TimeSpan.FromMinutes(30);
            o.Signing.Algorithm = algorithm;
            o.Signing.KeyDirectory = folder;
        },
        services: s => s.AddSingleton<TimeProvider>(_clock));

    private void AdvanceTo(TimeSpan sinceStart) => _clock.SetUtcNow(_start + sinceStart);

    private static async Task<JsonElement[]> JwksAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/oauth/jwks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await Http.ReadJsonAsync(response)).GetProperty("keys").EnumerateArray()];
    }

    private static async Task<string[]> KidsAsync(HttpClient http)
        => [.. (await JwksAsync(http)).Select(k => k.GetProperty("kid").GetString()!)];

    private static async Task<string> AccessTokenAsync(HttpClient http) => (await new OAuthFlow(http).GetTokensAsync(Http.McpResource)).AccessToken;

    private static string Kid(string token) => new JsonWebTokenHandler().ReadJsonWebToken(token).Kid;

    private static async Task<HttpStatusCode> McpAsync(HttpClient http, string token)
    {
        using var response = await Http.SendHeadersAsync(http, Http.McpInitialize("/mcp", token));
        return response.StatusCode;
    }

    [Fact]
    public async Task Rotation_TokenIssuedBefore_WorksAfterItUntilItExpires_AndNewTokensUseTheNextKey()
    {
        await using var app = App();
        var http = app.CreateRawClient();
        var first = Assert.Single(await KidsAsync(http));

        AdvanceTo(TimeSpan.FromMinutes(55));
        var before = await AccessTokenAsync(http);
        Assert.Equal(first, Kid(before));
        var next = (await KidsAsync(http)).Single(k => k != first);

        AdvanceTo(TimeSpan.FromMinutes(61));
        var after = await AccessTokenAsync(http);

        Assert.Equal(next, Kid(after));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, before));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, after));

        // The token from before the rotation expires at 85 min, accepted 30 s more.
        AdvanceTo(TimeSpan.FromMinutes(85) + TimeSpan.FromSeconds(29));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, before));
        AdvanceTo(TimeSpan.FromMinutes(85) + TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Unauthorized, await McpAsync(http, before));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, after));
    }

    [Fact]
    public async Task Jwks_ListsTheNextKeyAheadOfUse_AndDropsTheRetiredKeyAfterItsWindow()
    {
        await using var app = App();
        var http = app.CreateRawClient();
        var first = Assert.Single(await KidsAsync(http));

        AdvanceTo(TimeSpan.FromMinutes(44));
        Assert.Equal([first], await KidsAsync(http));

        AdvanceTo(TimeSpan.FromMinutes(46));
        var kids = await KidsAsync(http);
        Assert.Equal(2, kids.Length);
        var next = kids.Single(k => k != first);
        Assert.Equal(first, Kid(await AccessTokenAsync(http))); // published, not yet signing

        AdvanceTo(TimeSpan.FromMinutes(61));
        Assert.Equal([next, first], await KidsAsync(http));

        AdvanceTo(TimeSpan.FromMinutes(90) + TimeSpan.FromSeconds(29));
        Assert.Contains(first, await KidsAsync(http));

        AdvanceTo(TimeSpan.FromMinutes(90) + TimeSpan.FromSeconds(31));
        Assert.Equal([next], await KidsAsync(http));
    }

    [Fact]
    public async Task Mcp_TokenSignedByADroppedKey_Is401()
    {
        await using var app = App();
        var http = app.CreateRawClient();
        var genuine = await AccessTokenAsync(http);
        var firstKey = app.Services.GetRequiredService<SigningKeys>().Current;

        // While the first key is retired but verifying, a fresh token it signs is accepted: the forgery itself is sound...
        AdvanceTo(TimeSpan.FromMinutes(61));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, Resign(genuine, firstKey)));

        // ...so the 401 once it is dropped comes from the key, not from the token's lifetime or claims.
        AdvanceTo(TimeSpan.FromMinutes(92));
        using var refused = await Http.SendHeadersAsync(http, Http.McpInitialize("/mcp", Resign(genuine, firstKey)));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("invalid_token", Http.WwwAuthenticate(refused), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, Resign(genuine, app.Services.GetRequiredService<SigningKeys>().Current)));
    }

    [Fact]
    public async Task Mcp_TokenAcceptedBefore_IsRefusedOnceItsKeyIsDropped_ThoughItHasNotExpired()
    {
        await using var app = App();
        var http = app.CreateRawClient();
        var genuine = await AccessTokenAsync(http);
        var firstKey = app.Services.GetRequiredService<SigningKeys>().Current;

        // Accepted once (and so remembered by the validated-token cache), valid for another hour...
        AdvanceTo(TimeSpan.FromMinutes(85));
        var longLived = Resign(genuine, firstKey, lifetimeSeconds: 1800);
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, longLived));

        // ...and refused, the same token string, once the key that signed it no longer verifies.
        AdvanceTo(TimeSpan.FromMinutes(92));
        Assert.Equal(HttpStatusCode.Unauthorized, await McpAsync(http, longLived));
    }

    [Fact]
    public async Task Restart_OverTheSameKeyDirectory_KeepsValidatingTokensOfTheFirstInstance()
    {
        string token;
        string[] kids;
        await using (var first = App(_folder))
        {
            var http = first.CreateRawClient();
            token = await AccessTokenAsync(http);
            kids = await KidsAsync(http);
        }

        AdvanceTo(TimeSpan.FromMinutes(10));
        await using var second = App(_folder);
        var restarted = second.CreateRawClient();

        Assert.Equal(kids, await KidsAsync(restarted));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(restarted, token));
        Assert.Equal(Kid(token), Kid(await AccessTokenAsync(restarted)));
    }

    [Fact]
    public async Task Rs256_EndToEnd_TokenVerifiesWithThePublishedKeyAndOnMcp()
    {
        await using var app = App(algorithm: "RS256");
        var http = app.CreateRawClient();

        var token = await AccessTokenAsync(http);
        var jwt = new JsonWebTokenHandler().ReadJsonWebToken(token);
        var published = Assert.Single(await JwksAsync(http));

        Assert.Equal("RS256", jwt.Alg);
        Assert.Equal("RSA", published.GetProperty("kty").GetString());
        Assert.Equal("RS256", published.GetProperty("alg").GetString());
        Assert.Equal("sig", published.GetProperty("use").GetString());
        Assert.Equal(jwt.Kid, published.GetProperty("kid").GetString());
        Assert.False(published.TryGetProperty("d", out _));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, token));

        // A resource server that knows only the JWKS verifies the signature.
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = new JsonWebKey(published.GetRawText()),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
        });
        Assert.True(result.IsValid, result.Exception?.ToString());

        // And it rotates to another RS256 key.
        AdvanceTo(TimeSpan.FromMinutes(61));
        var rotated = await AccessTokenAsync(http);
        Assert.Equal("RS256", new JsonWebTokenHandler().ReadJsonWebToken(rotated).Alg);
        Assert.NotEqual(jwt.Kid, Kid(rotated));
        Assert.Equal(HttpStatusCode.OK, await McpAsync(http, rotated));
    }

    /// <summary>The same claims, fresh times on the fake clock, signed with <paramref name="key"/> (its kid in the header).</summary>
    private string Resign(string token, SigningCredentials key, int lifetimeSeconds = 600)
    {
        var payload = JsonNode.Parse(new JsonWebTokenHandler().ReadJsonWebToken(token).EncodedPayload is { } encoded
            ? Base64UrlEncoder.Decode(encoded)
            : throw new InvalidOperationException())!.AsObject();
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        payload["iat"] = now;
        payload["nbf"] = now;
        payload["exp"] = now + lifetimeSeconds;
        return new JsonWebTokenHandler().CreateToken(payload.ToJsonString(), key, new Dictionary<string, object> { ["typ"] = "at+jwt" });
    }
}
