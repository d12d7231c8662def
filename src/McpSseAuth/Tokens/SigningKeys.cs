using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tokens;

/// <summary>
/// The asymmetric key that signs access tokens, and the public keys published in the JWKS. A configured key is
/// used as is; otherwise an ECDSA P-256 key is created, and kept as PKCS#8 PEM (owner-only) in the key folder.
/// </summary>
internal sealed class SigningKeys
{
    private const string KeyFileName = "signing-key.pem";

    public SigningKeys(IOptions<McpOAuthOptions> options, ILogger<SigningKeys> logger)
    {
        var configured = options.Value.SigningCredentials;
        Current = configured is not null ? WithKeyId(configured) : CreateOrLoad(options.Value.KeyDirectory, logger);
        var jwk = Current.Key switch
        {
            ECDsaSecurityKey ec => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ec),
            RsaSecurityKey rsa => JsonWebKeyConverter.ConvertFromRSASecurityKey(rsa),
            X509SecurityKey x509 => JsonWebKeyConverter.ConvertFromX509SecurityKey(x509, representAsRsaKey: true),
            _ => throw new InvalidOperationException("McpOAuthOptions.SigningCredentials must hold an ECDSA, RSA or X.509 key."),
        };
        PublicJwk = ToPublic(jwk, Current);
        ValidationKeys = [Current.Key];
    }

    public SigningCredentials Current { get; }

    public IReadOnlyList<SecurityKey> ValidationKeys { get; }

    /// <summary>The public half only: <c>d</c>, <c>p</c>, <c>q</c> and the rest never leave the server.</summary>
    public Dictionary<string, object> PublicJwk { get; }

    private static SigningCredentials CreateOrLoad(string? directory, ILogger logger)
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (directory is not null)
        {
            var path = Path.Combine(directory, KeyFileName);
            if (File.Exists(path))
            {
                ecdsa.ImportFromPem(File.ReadAllText(path));
                Log.SigningKeyLoaded(logger, path);
            }
            else
            {
                Directory.CreateDirectory(directory);
                var pem = ecdsa.ExportPkcs8PrivateKeyPem();
                var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    // Owner-only: the private key must not be readable by other accounts.
                    fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(path, fileOptions))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(pem);
                }

                Log.SigningKeyCreated(logger, path);
            }
        }

        return WithKeyId(new SigningCredentials(new ECDsaSecurityKey(ecdsa), SecurityAlgorithms.EcdsaSha256));
    }

    private static SigningCredentials WithKeyId(SigningCredentials credentials)
    {
        if (string.IsNullOrEmpty(credentials.Key.KeyId))
        {
            // RFC 7638 thumbprint: the same key always gets the same kid.
            credentials.Key.KeyId = Base64UrlEncoder.Encode(credentials.Key.ComputeJwkThumbprint());
        }

        return credentials;
    }

    private static Dictionary<string, object> ToPublic(JsonWebKey jwk, SigningCredentials credentials)
    {
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
