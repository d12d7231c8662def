using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Keys;

/// <summary>Creating, reading and publishing signing keys: ES256 (ECDSA P-256) and RS256 (RSA 2048).</summary>
internal static class SigningKeyMaterial
{
    /// <summary>The algorithms of the keys McpSseAuth creates.</summary>
    public static readonly string[] RingAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256];

    /// <summary>A new private key as PKCS#8 PEM.</summary>
    public static string CreatePem(string algorithm)
    {
        using AsymmetricAlgorithm key = algorithm switch
        {
            SecurityAlgorithms.EcdsaSha256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            SecurityAlgorithms.RsaSha256 => RSA.Create(2048),
            _ => throw new InvalidOperationException($"McpOAuthOptions.Signing.Algorithm is '{algorithm}': use ES256 or RS256."),
        };
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Credentials for a PEM key, with its RFC 7638 thumbprint as kid.</summary>
    public static SigningCredentials Import(string pem, string algorithm)
    {
        SecurityKey key;
        switch (algorithm)
        {
            case SecurityAlgorithms.EcdsaSha256:
                var ecdsa = ECDsa.Create();
                ecdsa.ImportFromPem(pem);
                key = new ECDsaSecurityKey(ecdsa);
                break;
            case SecurityAlgorithms.RsaSha256:
                var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                key = new RsaSecurityKey(rsa);
                break;
            default:
                throw new InvalidOperationException($"A stored signing key has the algorithm '{algorithm}': only ES256 and RS256 are supported.");
        }

        return WithKeyId(new SigningCredentials(key, algorithm));
    }

    /// <summary>The algorithm for a PEM key of unknown kind (the legacy key file): ES256 for P-256, RS256 for RSA.</summary>
    public static string AlgorithmOf(string pem)
    {
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(pem);
            if (ecdsa.KeySize == 256)
            {
                return SecurityAlgorithms.EcdsaSha256;
            }
        }
        catch (CryptographicException)
        {
            // Not an EC key: try RSA.
        }
        catch (ArgumentException)
        {
            // No EC key in the PEM text: try RSA.
        }

        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return SecurityAlgorithms.RsaSha256;
    }

    /// <summary>Gives the key its RFC 7638 thumbprint as kid unless it has one: the same key always gets the same kid.</summary>
    public static SigningCredentials WithKeyId(SigningCredentials credentials)
    {
        if (string.IsNullOrEmpty(credentials.Key.KeyId))
        {
            credentials.Key.KeyId = Base64UrlEncoder.Encode(credentials.Key.ComputeJwkThumbprint());
        }

        return credentials;
    }

    /// <summary>The public half only, with kid, use and alg: <c>d</c>, <c>p</c>, <c>q</c> and the rest never leave the server.</summary>
    public static Dictionary<string, object> PublicJwk(SigningCredentials credentials)
    {
        var jwk = credentials.Key switch
        {
            ECDsaSecurityKey ec => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ec),
            RsaSecurityKey rsa => JsonWebKeyConverter.ConvertFromRSASecurityKey(rsa),
            X509SecurityKey x509 => JsonWebKeyConverter.ConvertFromX509SecurityKey(x509, representAsRsaKey: true),
            _ => throw new InvalidOperationException("McpOAuthOptions.Signing.Credentials must hold an ECDSA, RSA or X.509 key."),
        };
        var result = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["kty"] = jwk.Kty,
            ["use"] = "sig",
            ["kid"] = credentials.Key.KeyId,
            ["alg"] = credentials.Algorithm,
        };
        if (jwk.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve)
        {
            result["crv"] = jwk.Crv;
            result["x"] = jwk.X;
            result["y"] = jwk.Y;
        }
        else
        {
            result["n"] = jwk.N;
            result["e"] = jwk.E;
        }

        return result;
    }
}
