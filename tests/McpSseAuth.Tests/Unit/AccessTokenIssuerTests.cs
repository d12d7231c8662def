using System.Security.Cryptography;
using System.Text.Json;
using McpSseAuth.Grants;
using McpSseAuth.Keys;
using McpSseAuth.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Unit;

public sealed class AccessTokenIssuerTests
{
    private const string Issuer = "https://mcp.example.com";
    private const string Audience = "https://mcp.example.com/mcp";
    private static readonly DateTimeOffset Now = new(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly McpOAuthOptions _options = new() { Tokens = { AccessTokenLifetime = TimeSpan.FromMinutes(20) } };
    private readonly SigningKeys _keys;
    private readonly AccessTokenIssuer _issuer;

    public AccessTokenIssuerTests()
    {
        _keys = new SigningKeys(Options.Create(_options), NullLogger<SigningKeys>.Instance);
        _issuer = new AccessTokenIssuer(_keys, _time, Options.Create(_options));
    }

    private IssuedAccessToken Issue(string? name = "Alice")
        => _issuer.Issue(Issuer, [Audience], new GrantSubject("user-42", name), "client-7", ["mcp:tools", "files:read"], "grant-42");

    private static JsonWebKey PublicKey(SigningKeys keys)
        => new(JsonSerializer.Serialize(keys.PublicJwk));

    private TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        IssuerSigningKey = key,
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        ValidTypes = ["at+jwt"],
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.Zero,
        // Lifetime against the fake clock, not the machine's.
        LifetimeValidator = (notBefore, expires, _, _) => notBefore <= _time.GetUtcNow().UtcDateTime && _time.GetUtcNow().UtcDateTime < expires,
    };

    [Fact]
    public void Issue_Header_IsAtJwtWithEs256AndTheCurrentKeyId()
    {
        var jwt = new JsonWebToken(Issue().Token);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal("ES256", jwt.Alg);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        Assert.Equal(_keys.Current.Key.KeyId, jwt.Kid);
    }

    [Fact]
    public void Issue_Claims_CarryIssuerAudienceSubjectClientScopeAndIds()
    {
        var jwt = new JsonWebToken(Issue().Token);
        Assert.Equal(Issuer, jwt.GetClaim("iss").Value);
        Assert.Equal([Audience], jwt.Audiences);
        Assert.Equal("user-42", jwt.GetClaim("sub").Value);
        Assert.Equal("client-7", jwt.GetClaim("client_id").Value);
        Assert.Equal("mcp:tools files:read", jwt.GetClaim("scope").Value);
        Assert.Equal("Alice", jwt.GetClaim("name").Value);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
    }

    [Fact]
    public void Issue_SubjectWithoutName_HasNoNameClaim()
    {
        var jwt = new JsonWebToken(Issue(name: null).Token);
        Assert.False(jwt.TryGetClaim("name", out _));
    }

    [Fact]
    public void Issue_Times_ComeFromTheTimeProviderAndSpanTheConfiguredLifetime()
    {
        var (token, expiresIn) = Issue();
        var jwt = new JsonWebToken(token);
        var now = Now.ToUnixTimeSeconds();

        Assert.Equal(now, long.Parse(jwt.GetClaim("iat").Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(now, long.Parse(jwt.GetClaim("nbf").Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(now + (20 * 60), long.Parse(jwt.GetClaim("exp").Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(_options.Tokens.AccessTokenLifetime, jwt.ValidTo - jwt.IssuedAt);
        Assert.Equal(20 * 60, expiresIn);
    }

    [Fact]
    public void Issue_AfterTimeAdvances_UsesTheNewTime()
    {
        _time.Advance(TimeSpan.FromHours(3));
        var jwt = new JsonWebToken(Issue().Token);
        Assert.Equal(Now.AddHours(3).UtcDateTime, jwt.IssuedAt);
    }

    [Fact]
    public void Issue_TwoTokens_HaveDifferentJti()
    {
        var first = new JsonWebToken(Issue().Token);
        var second = new JsonWebToken(Issue().Token);
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task Issue_Token_ValidatesAgainstThePublicJwkAlone()
    {
        var jwk = PublicKey(_keys);
        Assert.False(jwk.HasPrivateKey);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(Issue().Token, Parameters(jwk));

        Assert.True(result.IsValid, result.Exception?.ToString());
        Assert.Equal("user-42", result.Claims["sub"]);
    }

    [Fact]
    public async Task Issue_Token_DoesNotValidateAgainstAnotherServersKey()
    {
        var other = new SigningKeys(Options.Create(new McpOAuthOptions()), NullLogger<SigningKeys>.Instance);
        var foreign = PublicKey(other);
        foreign.KeyId = _keys.Current.Key.KeyId; // same kid, different key: the signature must still fail

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(Issue().Token, Parameters(foreign));

        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task Issue_Token_IsRefusedOnceItsLifetimeHasPassed()
    {
        var token = Issue().Token;
        _time.Advance(TimeSpan.FromMinutes(20) + TimeSpan.FromSeconds(1));

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, Parameters(PublicKey(_keys)));

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidLifetimeException>(result.Exception);
    }

    [Fact]
    public void Issue_WithRsaKey_SignsWithRs256()
    {
        var options = new McpOAuthOptions { Signing = { Credentials = new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)), SecurityAlgorithms.RsaSha256) } };
        var keys = new SigningKeys(Options.Create(options), NullLogger<SigningKeys>.Instance);
        var issuer = new AccessTokenIssuer(keys, _time, Options.Create(options));

        var jwt = new JsonWebToken(issuer.Issue(Issuer, [Audience], new GrantSubject("s", null), "c", ["mcp:tools"], "grant-1").Token);

        Assert.Equal("RS256", jwt.Alg);
        Assert.Equal(keys.Current.Key.KeyId, jwt.Kid);
    }

    [Fact]
    public void Issue_SeveralAudiences_WritesAnAudienceArray()
    {
        var jwt = new JsonWebToken(_issuer.Issue(Issuer, ["https://mcp.example.com/mcp", "https://mcp.example.com/sse"], new GrantSubject("s", null), "c", ["mcp:tools"], "grant-1").Token);

        Assert.Equal(["https://mcp.example.com/mcp", "https://mcp.example.com/sse"], jwt.Audiences.Order(StringComparer.Ordinal));
    }
}
