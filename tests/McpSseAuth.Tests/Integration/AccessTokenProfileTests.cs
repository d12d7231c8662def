using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using McpSseAuth.Keys;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The resource accepts exactly the tokens this server issues: a token signed with the server's own key but not of our
/// shape (a leaked key used by another program, a token minted by a future version, a header extension) is refused, and a
/// token without a claim that a check needs is never waved through that check (RFC 9068 §4, RFC 8725 §3.11).
/// </summary>
public sealed class AccessTokenProfileTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    public static TheoryData<string> Departures => new(Mutations.Keys);

    private static readonly Dictionary<string, Action<Dictionary<string, object>, Dictionary<string, object>, TimeSpan>> Mutations = new(StringComparer.Ordinal)
    {
        ["no gid"] = (claims, _, _) => claims.Remove("gid"),
        ["empty gid"] = (claims, _, _) => claims["gid"] = "",
        ["no client_id"] = (claims, _, _) => claims.Remove("client_id"),
        ["no sub"] = (claims, _, _) => claims.Remove("sub"),
        ["empty sub"] = (claims, _, _) => claims["sub"] = "",
        ["array client_id"] = (claims, _, _) => claims["client_id"] = new[] { "a", "b" },
        ["no scope"] = (claims, _, _) => claims.Remove("scope"),
        ["no aud"] = (claims, _, _) => claims.Remove("aud"),
        ["no iat"] = (claims, _, _) => claims.Remove("iat"),
        ["iat in the future"] = (claims, _, lifetime) =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            claims["iat"] = now + 3600;
            claims["exp"] = now + 3600 + 60;
        },
        ["lifetime beyond the configured one"] = (claims, _, lifetime) =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            claims["iat"] = now - 10;
            claims["exp"] = now - 10 + (long)lifetime.TotalSeconds + 120;
        },
        // A confirmation method other than DPoP's jkt (RFC 8705 mTLS): no proof of it is checked here, so it is refused.
        ["cnf of another method"] = (claims, _, _) => claims["cnf"] = new Dictionary<string, object> { ["x5t#S256"] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" },
        ["crit header"] = (_, header, _) => header["crit"] = new[] { "exp-extension" },
        ["no typ"] = (_, header, _) => header["typ"] = "",
    };

    [Fact]
    public async Task Mcp_ForgedCopyOfAGenuineToken_IsAccepted()
    {
        // The control: the forging below makes tokens the server accepts when nothing departs from its profile.
        var (genuine, key) = await GenuineAsync();

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", Forge(genuine, key, static (_, _, _) => { })));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Departures))]
    public async Task Mcp_TokenSignedWithTheServerKey_ThatDepartsFromOurProfile_Is401InvalidToken(string departure)
    {
        var (genuine, key) = await GenuineAsync();

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", Forge(genuine, key, Mutations[departure])));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", Http.WwwAuthenticate(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_TokenWithoutGrantId_IsNotKeptAliveByAMissingRevocationCheck()
    {
        // Before: a token without gid skipped the revocation lookup, so revoking the grant could never end it.
        var (genuine, key) = await GenuineAsync();
        var withoutGrant = Forge(genuine, key, Mutations["no gid"]);

        using var response = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", withoutGrant));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("no gid")]
    [InlineData("cnf of another method")]
    [InlineData("crit header")]
    public async Task Revocation_OfATokenOutsideOurProfile_RevokesNothing(string departure)
    {
        // RFC 7009 §2.2: an invalid token is answered 200 and changes nothing; the genuine token stays usable.
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var genuine = new JsonWebToken(tokens.AccessToken);
        var key = Services.GetRequiredService<SigningKeys>().Current;
        var forged = Forge(genuine, key, Mutations[departure]);

        using var revoke = await _http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = forged,
            ["client_id"] = tokens.ClientId,
        }));
        using var after = await Http.SendHeadersAsync(_http, Http.McpInitialize("/mcp", tokens.AccessToken));

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public void EveryTokenTheServerIssues_HasEveryClaimTheProfileRequires()
    {
        var issuer = Services.GetRequiredService<AccessTokenIssuer>();
        var token = new JsonWebToken(issuer.Issue("http://localhost", [Http.McpResource], new Grants.GrantSubject("s", null), "c", [], "grant-1").Token);

        foreach (var claim in Validation.AccessTokenProfile.RequiredClaims)
        {
            Assert.True(token.TryGetPayloadValue<object>(claim, out _), claim);
        }
    }

    private IServiceProvider Services => fixture.App.Services;

    private async Task<(JsonWebToken Genuine, SigningCredentials Key)> GenuineAsync()
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        return (new JsonWebToken(tokens.AccessToken), Services.GetRequiredService<SigningKeys>().Current);
    }

    /// <summary>A token with the genuine one's header and claims, changed by <paramref name="change"/>, signed with <paramref name="key"/>.</summary>
    private string Forge(JsonWebToken genuine, SigningCredentials key, Action<Dictionary<string, object>, Dictionary<string, object>, TimeSpan> change)
    {
        var lifetime = Services.GetRequiredService<IOptions<McpOAuthOptions>>().Value.Tokens.AccessTokenLifetime;
        var claims = JsonSerializer.Deserialize<Dictionary<string, object>>(Base64UrlEncoder.Decode(genuine.EncodedPayload))!;
        var header = new Dictionary<string, object>(StringComparer.Ordinal) { ["typ"] = "at+jwt" };
        claims["jti"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        change(claims, header, lifetime);

        var headerJson = new Dictionary<string, object>(StringComparer.Ordinal) { ["alg"] = key.Algorithm, ["kid"] = key.Key.KeyId };
        foreach (var (name, value) in header)
        {
            if (value is not "")
            {
                headerJson[name] = value;
            }
        }

        var signingInput = Base64UrlEncoder.Encode(JsonSerializer.Serialize(headerJson)) + "." + Base64UrlEncoder.Encode(JsonSerializer.Serialize(claims));
        var signature = key.Key.CryptoProviderFactory.CreateForSigning(key.Key, key.Algorithm).Sign(System.Text.Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }
}
