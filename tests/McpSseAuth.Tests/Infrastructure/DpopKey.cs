using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// A client's DPoP key and the proofs it signs (RFC 9449 §4), built by hand so the attacker's tests can bend any part:
/// header, claims, signature. ES256 on P-256 by default; RSA for the RS/PS algorithms.
/// </summary>
public sealed class DpopKey : IDisposable
{
    private readonly ECDsa? _ec;
    private readonly RSA? _rsa;
    private readonly bool _owns;

    private DpopKey(ECDsa? ec, RSA? rsa, string alg, bool owns = true)
    {
        _ec = ec;
        _rsa = rsa;
        Alg = alg;
        _owns = owns;
    }

    /// <summary>The same key signing with another algorithm (its hash), as an attacker may try: it does not own the key.</summary>
    public DpopKey WithAlg(string alg) => new(_ec, _rsa, alg, owns: false);

    public string Alg { get; }

    public static DpopKey Es256() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), null, "ES256");

    public static DpopKey Es384() => new(ECDsa.Create(ECCurve.NamedCurves.nistP384), null, "ES384");

    public static DpopKey Rsa(string alg = "PS256", int bits = 2048) => new(null, RSA.Create(bits), alg);

    /// <summary>The public JWK (RFC 7517), members in RFC 7638 order.</summary>
    public JsonObject PublicJwk()
    {
        if (_ec is not null)
        {
            var p = _ec.ExportParameters(false);
            return new JsonObject
            {
                ["crv"] = _ec.KeySize switch { 256 => "P-256", 384 => "P-384", _ => "P-521" },
                ["kty"] = "EC",
                ["x"] = Base64Url.EncodeToString(p.Q.X),
                ["y"] = Base64Url.EncodeToString(p.Q.Y),
            };
        }

        var r = _rsa!.ExportParameters(false);
        return new JsonObject { ["e"] = Base64Url.EncodeToString(r.Exponent), ["kty"] = "RSA", ["n"] = Base64Url.EncodeToString(r.Modulus) };
    }

    /// <summary>The public JWK with the private members too: a proof must never carry them.</summary>
    public JsonObject PrivateJwk()
    {
        var jwk = PublicJwk();
        if (_ec is not null)
        {
            jwk["d"] = Base64Url.EncodeToString(_ec.ExportParameters(true).D);
        }
        else
        {
            jwk["d"] = Base64Url.EncodeToString(_rsa!.ExportParameters(true).D);
        }

        return jwk;
    }

    /// <summary>RFC 7638: SHA-256 of the required members, in lexicographic order, without whitespace.</summary>
    public string Thumbprint()
        => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(PublicJwk().ToJsonString())));

    /// <summary>
    /// A proof for <paramref name="method"/> <paramref name="uri"/>: <c>jti</c>, <c>htm</c>, <c>htu</c>, <c>iat</c>, and
    /// <c>ath</c> for <paramref name="accessToken"/>, <c>nonce</c> when given. <paramref name="header"/> and
    /// <paramref name="claims"/> change anything before it is signed.
    /// </summary>
    public string Proof(
        string method,
        string uri,
        string? accessToken = null,
        string? nonce = null,
        DateTimeOffset? issuedAt = null,
        Action<JsonObject>? header = null,
        Action<JsonObject>? claims = null)
    {
        var h = new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = Alg, ["jwk"] = PublicJwk() };
        var c = new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["htm"] = method,
            ["htu"] = uri,
            ["iat"] = (issuedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        };
        if (accessToken is not null)
        {
            c["ath"] = AccessTokenHash(accessToken);
        }

        if (nonce is not null)
        {
            c["nonce"] = nonce;
        }

        header?.Invoke(h);
        claims?.Invoke(c);
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(h.ToJsonString())) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(c.ToJsonString()));
        return input + "." + Base64Url.EncodeToString(Sign(Encoding.ASCII.GetBytes(input)));
    }

    public static string AccessTokenHash(string accessToken) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    private byte[] Sign(byte[] input)
    {
        var hash = Alg[2..] switch { "384" => HashAlgorithmName.SHA384, "512" => HashAlgorithmName.SHA512, _ => HashAlgorithmName.SHA256 };
        if (_ec is not null)
        {
            return _ec.SignData(input, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        return _rsa!.SignData(input, hash, Alg.StartsWith("PS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    /// <summary>The payload of a JWT, read without checking anything.</summary>
    public static JsonElement Payload(string jwt)
    {
        using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[1]));
        return document.RootElement.Clone();
    }

    public void Dispose()
    {
        if (_owns)
        {
            _ec?.Dispose();
            _rsa?.Dispose();
        }
    }
}
