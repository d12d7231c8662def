using System.Buffers.Text;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using McpSseAuth.Grants;
using McpSseAuth.Keys;
using McpSseAuth.Storage;
using McpSseAuth.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// What the token endpoint pays to sign an access token: <see cref="AccessTokenIssuer.Issue"/> (RFC 9068 claims, the key
/// ring's current key) against IdentityModel's <c>CreateToken</c> with the same claims and key, the floor. Signing
/// dominates, so ES256 and RS256 differ a lot.
/// </summary>
public class TokenIssuanceBenchmarks
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly GrantSubject _user = new(BenchApp.UserName, BenchApp.UserName);
    private readonly string[] _audiences = [BenchApp.McpResource];
    private readonly string[] _scopes = [McpOAuthDefaults.DefaultScope];
    private BenchApp _app = null!;
    private AccessTokenIssuer _issuer = null!;
    private SigningKeys _keys = null!;
    private string _grantId = "";

    /// <summary>The signing algorithm of the server's key ring (<see cref="McpOAuthOptions.SigningAlgorithm"/>).</summary>
    [Params("ES256", "RS256")]
    public string Alg { get; set; } = "ES256";

    [GlobalSetup]
    public void Setup()
    {
        _app = BenchApp.StartAsync(Alg).GetAwaiter().GetResult();
        _issuer = _app.Services.GetRequiredService<AccessTokenIssuer>();
        _keys = _app.Services.GetRequiredService<SigningKeys>();
        _grantId = OpaqueHandle.Create();
    }

    [GlobalCleanup]
    public void Cleanup() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "IdentityModel CreateToken")]
    public string IdentityModelCreateToken()
    {
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = BenchApp.Issuer,
            Audience = BenchApp.McpResource,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = BenchApp.UserName,
                ["client_id"] = "bench-client",
                ["scope"] = McpOAuthDefaults.DefaultScope,
                ["jti"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)),
                ["name"] = BenchApp.UserName,
                ["gid"] = _grantId,
            },
            SigningCredentials = _keys.Current,
            TokenType = AccessTokenIssuer.TokenType,
        });
    }

    [Benchmark(Description = "AccessTokenIssuer.Issue")]
    public string Issue() => _issuer.Issue(BenchApp.Issuer, _audiences, _user, "bench-client", _scopes, _grantId).Token;
}
