using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Storage;
using McpSseAuth.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// The token endpoint's two grants as a client posts them, form to JSON answer, through <see cref="TokenEndpoint.HandleAsync"/>:
/// redeeming an authorization code (PKCE, consent check, a signed access token, a refresh token and the grant stored) and
/// a refresh (rotation: the old token spent, a new one stored, the grant touched). The client registered through the
/// registration endpoint; codes and refresh tokens are single-use, so a fresh pool of them is stored before each
/// iteration (not measured) and each invocation redeems one. In-memory storage, ES256 key.
/// </summary>
[InvocationCount(PoolSize)]
public class TokenEndpointBenchmarks
{
    /// <summary>Invocations per iteration: one stored code or refresh token each.</summary>
    public const int PoolSize = 2048;

    private const string Verifier = "bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    private readonly byte[][] _bodies = new byte[PoolSize][];
    private BenchApp _app = null!;
    private TokenEndpoint _endpoint = null!;
    private IAuthorizationCodeStore _codes = null!;
    private IRefreshTokenStore _refreshTokens = null!;
    private IGrantStore _grants = null!;
    private TimeProvider _time = null!;
    private string _clientId = "";
    private string _challenge = "";
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _app = BenchApp.StartAsync().GetAwaiter().GetResult();
        var services = _app.Services;
        _endpoint = services.GetRequiredService<TokenEndpoint>();
        _codes = services.GetRequiredService<IAuthorizationCodeStore>();
        _refreshTokens = services.GetRequiredService<IRefreshTokenStore>();
        _grants = services.GetRequiredService<IGrantStore>();
        _time = services.GetRequiredService<TimeProvider>();
        _challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));
        _clientId = _app.RegisterClientAsync().GetAwaiter().GetResult();

        // The user allowed this client (the consent page's record), before any code is issued.
        services.GetRequiredService<IConsentStore>().StoreAsync(new Consent
        {
            Subject = BenchApp.UserName,
            ClientId = _clientId,
            Scopes = [McpOAuthDefaults.DefaultScope, McpOAuthDefaults.OfflineAccessScope],
            Resources = [BenchApp.McpResource],
            RedirectUris = [BenchApp.RedirectUri],
            GrantedAt = _time.GetUtcNow().AddMinutes(-1),
        }, CancellationToken.None).AsTask().GetAwaiter().GetResult();

        // Each path answers 200 once before it is measured.
        foreach (var fill in new Action[] { StoreCodes, StoreRefreshTokens })
        {
            fill();
            var (status, body) = PostAsync(_bodies[0], capture: true).GetAwaiter().GetResult();
            if (status != StatusCodes.Status200OK)
            {
                throw new InvalidOperationException($"The token endpoint answered {status}: {body}");
            }
        }
    }

    [IterationSetup(Target = nameof(RedeemCode))]
    public void StoreCodes()
    {
        var now = _time.GetUtcNow();
        for (var i = 0; i < PoolSize; i++)
        {
            var handle = OpaqueHandle.Create();
            var stored = _codes.StoreAsync(handle, new AuthorizationCode
            {
                ClientId = _clientId,
                RedirectUri = BenchApp.RedirectUri,
                RedirectUriGiven = true,
                CodeChallenge = _challenge,
                User = new GrantSubject(BenchApp.UserName, BenchApp.UserName),
                Scopes = [McpOAuthDefaults.DefaultScope, McpOAuthDefaults.OfflineAccessScope],
                Resources = [BenchApp.McpResource],
                GrantId = OpaqueHandle.Create(),
                IssuedAt = now,
                ExpiresAt = now.AddMinutes(5),
            }, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (!stored)
            {
                throw new InvalidOperationException("The code store is full.");
            }

            _bodies[i] = Form(
                ("grant_type", "authorization_code"),
                ("code", handle),
                ("redirect_uri", BenchApp.RedirectUri),
                ("client_id", _clientId),
                ("code_verifier", Verifier));
        }

        _next = 0;
    }

    [IterationSetup(Target = nameof(Refresh))]
    public void StoreRefreshTokens()
    {
        var now = _time.GetUtcNow();
        for (var i = 0; i < PoolSize; i++)
        {
            var handle = OpaqueHandle.Create();
            var grantId = OpaqueHandle.Create();
            string[] scopes = [McpOAuthDefaults.DefaultScope, McpOAuthDefaults.OfflineAccessScope];
            string[] resources = [BenchApp.McpResource];
            _grants.StoreAsync(new GrantRecord
            {
                GrantId = grantId,
                Subject = BenchApp.UserName,
                ClientId = _clientId,
                Scopes = scopes,
                Resources = resources,
                CreatedAt = now,
                LastUsedAt = now,
                ExpiresAt = now.AddDays(30),
            }, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            _refreshTokens.StoreAsync(handle, new RefreshToken
            {
                ClientId = _clientId,
                User = new GrantSubject(BenchApp.UserName, BenchApp.UserName),
                Scopes = scopes,
                Resources = resources,
                GrantId = grantId,
                GrantCreatedAt = now,
                ExpiresAt = now.AddDays(30),
            }, CancellationToken.None).AsTask().GetAwaiter().GetResult();

            _bodies[i] = Form(
                ("grant_type", "refresh_token"),
                ("refresh_token", handle),
                ("client_id", _clientId));
        }

        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "POST /oauth/token authorization_code")]
    public async Task<int> RedeemCode() => (await PostAsync(_bodies[_next++], capture: false)).Status;

    [Benchmark(Description = "POST /oauth/token refresh_token")]
    public async Task<int> Refresh() => (await PostAsync(_bodies[_next++], capture: false)).Status;

    private async Task<(int Status, string? Body)> PostAsync(byte[] form, bool capture)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var context = BenchApp.Request(scope.ServiceProvider, HttpMethods.Post, "/oauth/token");
        context.Request.ContentType = "application/x-www-form-urlencoded";
        context.Request.ContentLength = form.Length;
        context.Request.Body = new MemoryStream(form, writable: false);
        using var response = capture ? new MemoryStream() : null;
        if (response is not null)
        {
            context.Response.Body = response;
        }

        await _endpoint.HandleAsync(context);
        return (context.Response.StatusCode, response is null ? null : Encoding.UTF8.GetString(response.ToArray()));
    }

    private static byte[] Form(params (string Name, string Value)[] fields)
        => Encoding.UTF8.GetBytes(string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Name) + "=" + Uri.EscapeDataString(f.Value))));
}
