using System.Security.Cryptography;
using System.Text;
using McpSseAuth.Keys;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Unit;

public sealed class SigningKeysTests : IDisposable
{
    // RFC 7638 §3.1: the example RSA public key and its SHA-256 thumbprint.
    private const string Rfc7638Modulus =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    private const string Rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mcpsseauth-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static SigningKeys Create(McpOAuthOptions options) => new(Options.Create(options), NullLogger<SigningKeys>.Instance);

    private static string Thumbprint(string json) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void SigningKeys_WithoutKeyDirectory_CreatesAnEs256KeyInMemory()
    {
        var keys = Create(new McpOAuthOptions());
        Assert.IsType<ECDsaSecurityKey>(keys.Current.Key);
        Assert.Equal(SecurityAlgorithms.EcdsaSha256, keys.Current.Algorithm);
        Assert.Equal([keys.Current.Key], keys.ValidationKeys);
    }

    [Fact]
    public void SigningKeys_TwoInstancesWithoutKeyDirectory_HaveDifferentKeys()
        => Assert.NotEqual(Create(new McpOAuthOptions()).Current.Key.KeyId, Create(new McpOAuthOptions()).Current.Key.KeyId);

    [Fact]
    public void SigningKeys_WithKeyDirectory_CreatesTheFolderAndAPemKeyFile()
    {
        var folder = Path.Combine(_root, "nested", "keys");
        Create(new McpOAuthOptions { Signing = { KeyDirectory = folder } });

        var file = Assert.Single(Directory.GetFiles(folder, "*.pem"));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Fact]
    public void SigningKeys_KeyFile_IsReadableAndWritableByTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes exist on Linux and macOS only; Windows relies on the profile folder's ACL.
        }

        Create(new McpOAuthOptions { Signing = { KeyDirectory = _root } });

        var file = Assert.Single(Directory.GetFiles(_root, "*.pem"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void SigningKeys_SecondInstanceOnTheSameFolder_LoadsTheSameKey()
    {
        var first = Create(new McpOAuthOptions { Signing = { KeyDirectory = _root } });
        var second = Create(new McpOAuthOptions { Signing = { KeyDirectory = _root } });

        Assert.Equal(first.Current.Key.KeyId, second.Current.Key.KeyId);
        Assert.Equal(first.PublicJwk["x"], second.PublicJwk["x"]);
        Assert.Equal(first.PublicJwk["y"], second.PublicJwk["y"]);
        Assert.Single(Directory.GetFiles(_root, "*.pem"));
    }

    [Fact]
    public void SigningKeys_KeyLoadedFromFolder_SignsWhatTheFirstInstanceVerifies()
    {
        var first = Create(new McpOAuthOptions { Signing = { KeyDirectory = _root } });
        var second = Create(new McpOAuthOptions { Signing = { KeyDirectory = _root } });
        var data = Encoding.UTF8.GetBytes("payload");

        var signature = ((ECDsaSecurityKey)second.Current.Key).ECDsa.SignData(data, HashAlgorithmName.SHA256);

        Assert.True(((ECDsaSecurityKey)first.Current.Key).ECDsa.VerifyData(data, signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void SigningKeys_GeneratedKey_HasAnRfc7638ThumbprintKid()
    {
        var keys = Create(new McpOAuthOptions());
        var jwk = keys.PublicJwk;
        var expected = Thumbprint($$"""{"crv":"{{jwk["crv"]}}","kty":"EC","x":"{{jwk["x"]}}","y":"{{jwk["y"]}}"}""");
        Assert.Equal(expected, keys.Current.Key.KeyId);
        Assert.Equal(expected, jwk["kid"]);
    }

    [Fact]
    public void SigningKeys_ConfiguredRsaKeyWithoutKid_IsUsedWithTheRfc7638ThumbprintAsKid()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = Base64UrlEncoder.DecodeBytes(Rfc7638Modulus), Exponent = [1, 0, 1] });
        var credentials = new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256);

        var keys = Create(new McpOAuthOptions { Signing = { Credentials = credentials } });

        Assert.Same(credentials, keys.Current);
        Assert.Equal(Rfc7638Thumbprint, keys.Current.Key.KeyId);
        Assert.Equal(Rfc7638Thumbprint, keys.PublicJwk["kid"]);
        Assert.Equal("RS256", keys.PublicJwk["alg"]);
        Assert.Equal("RSA", keys.PublicJwk["kty"]);
        Assert.Equal(Rfc7638Modulus, keys.PublicJwk["n"]);
        Assert.Equal("AQAB", keys.PublicJwk["e"]);
    }

    [Fact]
    public void SigningKeys_ConfiguredKeyWithKid_KeepsItsKid()
    {
        var credentials = new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)) { KeyId = "my-key-2031" }, SecurityAlgorithms.RsaSha256);
        var keys = Create(new McpOAuthOptions { Signing = { Credentials = credentials } });
        Assert.Equal("my-key-2031", keys.Current.Key.KeyId);
        Assert.Equal("my-key-2031", keys.PublicJwk["kid"]);
    }

    [Fact]
    public void SigningKeys_ConfiguredKey_IgnoresKeyDirectory()
    {
        var credentials = new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)), SecurityAlgorithms.RsaSha256);
        Create(new McpOAuthOptions { Signing = { Credentials = credentials, KeyDirectory = _root } });
        Assert.False(Directory.Exists(_root));
    }

    [Fact]
    public void SigningKeys_EcPublicJwk_HasNoPrivateMembers()
    {
        var jwk = Create(new McpOAuthOptions()).PublicJwk;
        Assert.Equal(["alg", "crv", "kid", "kty", "use", "x", "y"], jwk.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("EC", jwk["kty"]);
        Assert.Equal("P-256", jwk["crv"]);
        Assert.Equal("sig", jwk["use"]);
        Assert.Equal("ES256", jwk["alg"]);
    }

    [Fact]
    public void SigningKeys_RsaPublicJwk_HasNoPrivateMembers()
    {
        var credentials = new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)), SecurityAlgorithms.RsaSha256);
        var jwk = Create(new McpOAuthOptions { Signing = { Credentials = credentials } }).PublicJwk;
        Assert.DoesNotContain(jwk.Keys, PrivateMembers.Contains);
        Assert.Equal(["alg", "e", "kid", "kty", "n", "use"], jwk.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SigningKeys_ConfiguredSymmetricKey_IsRefused()
    {
        var credentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256);
        var error = Assert.Throws<InvalidOperationException>(() => Create(new McpOAuthOptions { Signing = { Credentials = credentials } }));
        Assert.Contains("McpOAuthOptions.Signing.Credentials", error.Message, StringComparison.Ordinal);
    }
}
