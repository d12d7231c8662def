using System.Text.Json.Nodes;
using McpSseAuth.Dpop;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The checks of RFC 9449 §4.3 on a DPoP proof, each bent by an attacker's proof: the wrong type, algorithm, key, request,
/// time, token; a proof replayed, to this instance or another sharing the storage; a missing, stale or forged nonce.
/// </summary>
public sealed class DpopProofTests : IDisposable
{
    private const string Htu = "https://mcp.example.com/mcp";
    private const string Token = "eyJ.the-access-token.sig";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));
    private readonly IDataProtectionProvider _dataProtection = new EphemeralDataProtectionProvider();
    private readonly McpOAuthOptions _options = new();
    private readonly IMcpOAuthStorage _storage;
    private readonly DpopKey _key = DpopKey.Es256();

    public DpopProofTests() => _storage = new InMemoryOAuthStorage(_time);

    private DpopProofs Proofs() => new(_storage, new DpopNonces(_dataProtection, _time, Options.Create(_options)), _time, Options.Create(_options));

    private static DefaultHttpContext Request(string method, params string[] proofs)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        if (proofs.Length > 0)
        {
            context.Request.Headers["DPoP"] = proofs;
        }

        return context;
    }

    private string Proof(Action<JsonObject>? header = null, Action<JsonObject>? claims = null, string method = "POST", string uri = Htu, string? token = Token, string? nonce = null)
        => _key.Proof(method, uri, token, nonce, _time.GetUtcNow(), header, claims);

    private async Task<DpopCheck> CheckAsync(string proof, string method = "POST", DpopProofs? proofs = null)
        => await (proofs ?? Proofs()).CheckAsync(Request(method, proof), Htu, DpopProofs.AccessTokenHash(Token));

    [Fact]
    public async Task AValidProof_IsAccepted_WithTheRfc7638ThumbprintOfItsKey()
    {
        var check = await CheckAsync(Proof());

        Assert.False(check.Failed, check.Description);
        Assert.Equal(_key.Thumbprint(), check.Proof!.Jkt);
    }

    [Fact]
    public void TheThumbprint_IsRfc7638s_OnTheRfcsOwnExample()
    {
        // RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1 and its SHA-256 thumbprint.
        var key = new JsonWebKey("""{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}""");

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()));
    }

    [Theory]
    [InlineData("PS256")]
    [InlineData("RS256")]
    public async Task RsaProofs_AreAccepted(string alg)
    {
        using var rsa = DpopKey.Rsa(alg);
        var check = await CheckAsync(rsa.Proof("POST", Htu, Token, issuedAt: _time.GetUtcNow()));

        Assert.False(check.Failed, check.Description);
        Assert.Equal(rsa.Thumbprint(), check.Proof!.Jkt);
    }

    public static TheoryData<string> HostileHeaders => new()
    {
        "typ JWT", "no typ", "alg none", "alg HS256", "no jwk", "jwk with private key", "jwk of another key", "jwk symmetric", "crit header",
    };

    [Theory]
    [MemberData(nameof(HostileHeaders))]
    public async Task AProofWithAHostileHeader_IsRefused(string departure)
    {
        using var other = DpopKey.Es256();
        var proof = departure switch
        {
            "typ JWT" => Proof(header: h => h["typ"] = "JWT"),
            "no typ" => Proof(header: h => h.Remove("typ")),
            // Unsigned: header and claims with an empty signature.
            "alg none" => string.Join('.', Proof(header: h => h["alg"] = "none").Split('.')[..2]) + ".",
            "alg HS256" => Proof(header: h => h["alg"] = "HS256"),
            "no jwk" => Proof(header: h => h.Remove("jwk")),
            "jwk with private key" => Proof(header: h => h["jwk"] = _key.PrivateJwk()),
            // Signed by our key, but naming another: the signature must be checked with the named key.
            "jwk of another key" => Proof(header: h => h["jwk"] = other.PublicJwk()),
            "jwk symmetric" => Proof(header: h => h["jwk"] = new JsonObject { ["kty"] = "oct", ["k"] = "c2VjcmV0" }),
            _ => Proof(header: h => h["crit"] = new JsonArray("exp")),
        };

        var check = await CheckAsync(proof);

        Assert.Equal(DpopCheck.InvalidProof, check.Error);
        Assert.Null(check.Proof);
    }

    [Fact]
    public async Task AnRsaKeyUnder2048Bits_IsRefused()
    {
        using var weak = DpopKey.Rsa("RS256", 1024);

        Assert.Equal(DpopCheck.InvalidProof, (await CheckAsync(weak.Proof("POST", Htu, Token, issuedAt: _time.GetUtcNow()))).Error);
    }

    [Fact]
    public async Task AnEcKeyOfAnotherCurveThanItsAlg_IsRefused()
    {
        using var p384 = DpopKey.Es384();

        Assert.Equal(DpopCheck.InvalidProof, (await CheckAsync(p384.Proof("POST", Htu, Token, issuedAt: _time.GetUtcNow(), header: h => h["alg"] = "ES256"))).Error);
    }

    [Fact]
    public async Task AKeyAcceptedBefore_IsNotAcceptedWithAnAlgItDoesNotFit()
    {
        // Remembered keys are remembered with their alg: a P-256 key once accepted for ES256 is no ES384 key later.
        var proofs = Proofs();
        Assert.False((await CheckAsync(Proof(), proofs: proofs)).Failed);

        using var sameKeyAsEs384 = _key.WithAlg("ES384");
        var check = await CheckAsync(sameKeyAsEs384.Proof("POST", Htu, Token, issuedAt: _time.GetUtcNow()), proofs: proofs);

        Assert.Equal(DpopCheck.InvalidProof, check.Error);
    }

    public static TheoryData<string> HostileClaims => new()
    {
        "no jti", "jti too long", "htm of another method", "htm lower case", "no htm", "htu of another path", "htu of another host",
        "htu of another scheme", "htu relative", "no htu", "iat too old", "iat in the future", "no iat", "iat a string", "no ath",
        "ath of another token",
    };

    [Theory]
    [MemberData(nameof(HostileClaims))]
    public async Task AProofWithHostileClaims_IsRefused(string departure)
    {
        var now = _time.GetUtcNow();
        var proof = departure switch
        {
            "no jti" => Proof(claims: c => c.Remove("jti")),
            "jti too long" => Proof(claims: c => c["jti"] = new string('j', 257)),
            "htm of another method" => Proof(method: "GET"),
            "htm lower case" => Proof(method: "post"),
            "no htm" => Proof(claims: c => c.Remove("htm")),
            "htu of another path" => Proof(uri: "https://mcp.example.com/sse"),
            "htu of another host" => Proof(uri: "https://evil.example.com/mcp"),
            "htu of another scheme" => Proof(uri: "http://mcp.example.com/mcp"),
            "htu relative" => Proof(uri: "/mcp"),
            "no htu" => Proof(claims: c => c.Remove("htu")),
            "iat too old" => Proof(claims: c => c["iat"] = (now - _options.Dpop.ProofLifetime - _options.Tokens.ClockSkew - TimeSpan.FromSeconds(2)).ToUnixTimeSeconds()),
            "iat in the future" => Proof(claims: c => c["iat"] = (now + _options.Tokens.ClockSkew + TimeSpan.FromSeconds(2)).ToUnixTimeSeconds()),
            "no iat" => Proof(claims: c => c.Remove("iat")),
            "iat a string" => Proof(claims: c => c["iat"] = "yesterday"),
            "no ath" => Proof(token: null),
            _ => Proof(token: "another.access.token"),
        };

        var check = await CheckAsync(proof);

        Assert.Equal(DpopCheck.InvalidProof, check.Error);
    }

    [Fact]
    public async Task TheHtu_IgnoresQueryAndFragment_AndTheCaseOfSchemeAndHost()
    {
        // RFC 9449 §4.3 item 9: "ignoring any query and fragment parts"; RFC 3986 §6.2.2.1 case normalization.
        var check = await CheckAsync(Proof(uri: "HTTPS://MCP.Example.com/mcp?sessionId=1#x"));

        Assert.False(check.Failed, check.Description);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public async Task AnythingButExactlyOneProof_IsRefused(int count)
    {
        var context = Request("POST", [.. Enumerable.Range(0, count).Select(_ => Proof())]);
        if (count == 0)
        {
            context.Request.Headers["DPoP"] = Proof() + "," + Proof();
        }

        var check = await Proofs().CheckAsync(context, Htu, DpopProofs.AccessTokenHash(Token));

        Assert.Equal(DpopCheck.InvalidProof, check.Error);
    }

    [Fact]
    public async Task NoDpopHeader_IsAbsent_NotAnError()
    {
        var check = await Proofs().CheckAsync(Request("POST"), Htu, null);

        Assert.False(check.Failed);
        Assert.Null(check.Proof);
    }

    [Fact]
    public async Task AProofReplayed_IsRefused_HereAndOnAnotherInstanceSharingTheStorage()
    {
        var proof = Proof();
        var first = Proofs();
        var secondInstance = Proofs();

        Assert.False((await CheckAsync(proof, proofs: first)).Failed);
        Assert.Equal(DpopCheck.InvalidProof, (await CheckAsync(proof, proofs: first)).Error);
        Assert.Equal(DpopCheck.InvalidProof, (await CheckAsync(proof, proofs: secondInstance)).Error);
    }

    [Fact]
    public async Task RequiredNonce_Missing_IsUseDpopNonce_WithANonce_ThatTheRetryIsAcceptedWith()
    {
        _options.Dpop.RequireNonce = true;
        var proofs = Proofs();

        var first = await CheckAsync(Proof(), proofs: proofs);
        var retry = await CheckAsync(Proof(nonce: first.Nonce), proofs: proofs);

        Assert.Equal(DpopCheck.UseNonce, first.Error);
        Assert.False(string.IsNullOrEmpty(first.Nonce));
        Assert.False(retry.Failed, retry.Description);
    }

    [Fact]
    public async Task RequiredNonce_FromAnotherInstanceSharingDataProtection_IsAccepted()
    {
        _options.Dpop.RequireNonce = true;
        var nonce = (await CheckAsync(Proof(), proofs: Proofs())).Nonce;

        Assert.False((await CheckAsync(Proof(nonce: nonce), proofs: Proofs())).Failed);
    }

    [Fact]
    public async Task RequiredNonce_Expired_OrForged_OrFromAnotherServer_IsUseDpopNonce()
    {
        _options.Dpop.RequireNonce = true;
        var nonce = (await CheckAsync(Proof(), proofs: Proofs())).Nonce!;
        var otherServer = new DpopProofs(_storage, new DpopNonces(new EphemeralDataProtectionProvider(), _time, Options.Create(_options)), _time, Options.Create(_options));
        var foreign = (await CheckAsync(Proof(), proofs: otherServer)).Nonce!;

        Assert.Equal(DpopCheck.UseNonce, (await CheckAsync(Proof(nonce: nonce[..^2] + (nonce[^2] == 'A' ? "B" : "A") + nonce[^1]))).Error);
        Assert.Equal(DpopCheck.UseNonce, (await CheckAsync(Proof(nonce: foreign))).Error);
        _time.Advance(_options.Dpop.NonceLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(DpopCheck.UseNonce, (await CheckAsync(Proof(nonce: nonce))).Error);
    }

    [Fact]
    public async Task RequiredNonce_PastHalfItsLifetime_StillWorks_AndANewOneIsSent()
    {
        _options.Dpop.RequireNonce = true;
        var proofs = Proofs();
        var nonce = (await CheckAsync(Proof(), proofs: proofs)).Nonce!;
        _time.Advance(_options.Dpop.NonceLifetime / 2 + TimeSpan.FromSeconds(1));
        var context = Request("POST", Proof(nonce: nonce));

        var check = await proofs.CheckAsync(context, Htu, DpopProofs.AccessTokenHash(Token));

        Assert.False(check.Failed, check.Description);
        var renewed = context.Response.Headers["DPoP-Nonce"].ToString();
        Assert.False(string.IsNullOrEmpty(renewed));
        Assert.NotEqual(nonce, renewed);
    }

    public void Dispose() => _key.Dispose();
}
