using BenchmarkDotNet.Attributes;
using McpSseAuth.Grants;
using McpSseAuth.Keys;
using McpSseAuth.Storage;
using McpSseAuth.Tokens;
using McpSseAuth.Validation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.AspNetCore.Authentication;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// What every MCP request pays before it reaches the server: validating its bearer token. From the bare IdentityModel
/// validation (the floor: signature, type, issuer, audience, lifetime with the same key), to McpSseAuth's reader, to a
/// hand-wired <c>AddJwtBearer</c> app, to the full authentication of a request to the real <c>/mcp</c> endpoint (issuer,
/// audience for that endpoint, sub and client_id, the revocation look-up of the grant), one DI scope per request.
/// The <c>/mcp</c> case presents the same token on every request, as a client does for its whole session, so a
/// validated-token cache shows here; the "new token each time" case presents each token once only (fresh tokens issued
/// before every iteration), which no cache can help: the cold cost. ES256 (the default) and RS256 keys.
/// </summary>
[InvocationCount(PoolSize)]
public class BearerValidationBenchmarks
{
    /// <summary>Invocations per iteration, and fresh tokens issued before each iteration of the new-token case.</summary>
    public const int PoolSize = 4096;

    private readonly JsonWebTokenHandler _handler = new();
    private readonly string[] _pool = new string[PoolSize];
    private BenchApp _app = null!;
    private WebApplication _plainApp = null!;
    private WebApplication _floorApp = null!;
    private AccessTokenIssuer _issuer = null!;
    private AccessTokenReader _reader = null!;
    private TokenValidationParameters _baseline = null!;
    private string _token = "";
    private string _authorization = "";
    private int _next;

    /// <summary>The signing algorithm of the server's key ring (<see cref="McpOAuthOptions.SigningAlgorithm"/>).</summary>
    [Params("ES256", "RS256")]
    public string Alg { get; set; } = "ES256";

    [GlobalSetup]
    public void Setup()
    {
        _app = BenchApp.StartAsync(Alg).GetAwaiter().GetResult();
        _issuer = _app.Services.GetRequiredService<AccessTokenIssuer>();
        _reader = _app.Services.GetRequiredService<AccessTokenReader>();
        _token = Issue();
        _authorization = "Bearer " + _token;

        var jwt = new JsonWebToken(_token);
        var key = _app.Services.GetRequiredService<SigningKeys>().FindValidationKey(jwt.Kid, jwt.Alg)
            ?? throw new InvalidOperationException("The token's key is not among the validation keys.");
        _baseline = new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidIssuer = BenchApp.Issuer,
            ValidAudience = BenchApp.McpResource,
            ValidTypes = [AccessTokenIssuer.TokenType],
            ValidAlgorithms = [Alg],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            NameClaimType = "name",
            RoleClaimType = "role",
        };

        // The same validation as an app would write it with plain JwtBearer: same key, issuer and audience.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication().AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = _baseline.Clone();
        });
        _plainApp = builder.Build();

        // The floor: the cheapest authentication there is, a constant compared and a principal made once.
        var floor = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        floor.Logging.ClearProviders();
        floor.Services.AddAuthentication().AddScheme<BenchServer.ConstantTokenOptions, BenchServer.ConstantTokenHandler>(
            BenchServer.ConstantTokenHandler.SchemeName, o => o.Tokens.Add(System.Text.Encoding.ASCII.GetBytes(_token)));
        _floorApp = floor.Build();

        if (!IdentityModelValidate().GetAwaiter().GetResult() ||
            ReaderRead().GetAwaiter().GetResult() is null ||
            !HandWiredJwtBearer().GetAwaiter().GetResult() ||
            !ConstantToken().GetAwaiter().GetResult() ||
            !McpAuthenticate().GetAwaiter().GetResult() ||
            !AuthenticateMcpAsync("Bearer " + Issue()).GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("A validation path refused the token: the benchmark would measure a failure.");
        }
    }

    /// <summary>Tokens presented once only: issued before each iteration of the new-token case, not measured.</summary>
    [IterationSetup(Target = nameof(McpAuthenticateNewToken))]
    public void IssueFreshTokens()
    {
        for (var i = 0; i < _pool.Length; i++)
        {
            _pool[i] = "Bearer " + Issue();
        }

        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plainApp.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _floorApp.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "IdentityModel ValidateTokenAsync")]
    public async Task<bool> IdentityModelValidate()
        => (await _handler.ValidateTokenAsync(_token, _baseline)).IsValid;

    [Benchmark(Description = "AccessTokenReader.ReadAsync")]
    public Task<System.Security.Claims.ClaimsIdentity?> ReaderRead()
        => _reader.ReadAsync(_token, BenchApp.Issuer, checkLifetime: true);

    [Benchmark(Description = "Hand-wired AddJwtBearer authenticate")]
    public async Task<bool> HandWiredJwtBearer()
    {
        await using var scope = _plainApp.Services.CreateAsyncScope();
        var context = BenchApp.Request(scope.ServiceProvider, HttpMethods.Post, "/mcp");
        context.Request.Headers.Authorization = _authorization;
        return (await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme)).Succeeded;
    }

    [Benchmark(Description = "Constant-token scheme authenticate (the floor)")]
    public async Task<bool> ConstantToken()
    {
        await using var scope = _floorApp.Services.CreateAsyncScope();
        var context = BenchApp.Request(scope.ServiceProvider, HttpMethods.Post, "/mcp");
        context.Request.Headers.Authorization = _authorization;
        return (await context.AuthenticateAsync(BenchServer.ConstantTokenHandler.SchemeName)).Succeeded;
    }

    [Benchmark(Description = "McpSseAuth /mcp authenticate")]
    public Task<bool> McpAuthenticate() => AuthenticateMcpAsync(_authorization);

    [Benchmark(Description = "McpSseAuth /mcp authenticate, new token each time")]
    public Task<bool> McpAuthenticateNewToken() => AuthenticateMcpAsync(_pool[_next++ % PoolSize]);

    private async Task<bool> AuthenticateMcpAsync(string authorization)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var context = BenchApp.Request(scope.ServiceProvider, HttpMethods.Post, "/mcp", _app.McpEndpoint);
        context.Request.Headers.Authorization = authorization;
        return (await context.AuthenticateAsync(McpAuthenticationDefaults.AuthenticationScheme)).Succeeded;
    }

    /// <summary>A token as the token endpoint issues it: for /mcp, with a grant id (so validation looks up its revocation).</summary>
    private string Issue()
        => _issuer.Issue(BenchApp.Issuer, [BenchApp.McpResource], new GrantSubject(BenchApp.UserName, BenchApp.UserName), "bench-client", [McpOAuthDefaults.DefaultScope], OpaqueHandle.Create()).Token;
}
