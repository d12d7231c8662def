using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using McpSseAuth.UserTokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The upstream provider's tokens kept for tools: saved from a sign-in's <see cref="AuthenticationProperties"/>, handed out
/// while valid, refreshed at the scheme's own token endpoint (a fake back-channel here) when about to expire, and dropped when
/// the provider refuses the refresh token.
/// </summary>
public sealed class UpstreamTokenStoreTests : IDisposable
{
    private async ValueTask<string?> AccessTokenAsync(string subject, CancellationToken cancellationToken)
        => (await _tokens.GetCurrentAsync(subject, cancellationToken))?.AccessToken;

    private const string Scheme = "fake";
    private const string Subject = "ext:alice";
    private static readonly DateTimeOffset Now = new(2031, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly UserSecretStore _store = new(new McpSseAuth.Storage.InMemoryOAuthStorage(TimeProvider.System));
    private readonly McpOAuthOptions _options = new();
    private readonly FakeTokenEndpoint _tokenEndpoint = new();
    private readonly ServiceProvider _services;
    private readonly UpstreamTokenStore _tokens;

    public UpstreamTokenStoreTests()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddAuthentication().AddOAuth(Scheme, o =>
        {
            o.ClientId = "upstream-client";
            o.ClientSecret = "upstream-secret";
            o.AuthorizationEndpoint = "https://idp.invalid/authorize";
            o.TokenEndpoint = "https://idp.invalid/token";
            o.CallbackPath = "/signin-fake";
            o.BackchannelHttpHandler = _tokenEndpoint;
        });
        _services = services.BuildServiceProvider();
        var secrets = new UserSecrets(_store, new EphemeralDataProtectionProvider(), Microsoft.Extensions.Logging.Abstractions.NullLogger<UserSecrets>.Instance);
        var refresh = new UpstreamTokenRefresh(_services.GetRequiredService<IAuthenticationSchemeProvider>(), _services, _time, NullLogger<UpstreamTokenRefresh>.Instance);
        _tokens = new UpstreamTokenStore(secrets, refresh, _time, Options.Create(_options), NullLogger<UpstreamTokenStore>.Instance);
    }

    public void Dispose() => _services.Dispose();

    private static AuthenticationProperties Properties(string? accessToken = "at-1", string? refreshToken = "rt-1", DateTimeOffset? expiresAt = null)
    {
        var properties = new AuthenticationProperties();
        var tokens = new List<AuthenticationToken>();
        if (accessToken is not null)
        {
            tokens.Add(new AuthenticationToken { Name = "access_token", Value = accessToken });
        }

        if (refreshToken is not null)
        {
            tokens.Add(new AuthenticationToken { Name = "refresh_token", Value = refreshToken });
        }

        if (expiresAt is { } at)
        {
            // As the remote handlers write it when SaveTokens is on.
            tokens.Add(new AuthenticationToken { Name = "expires_at", Value = at.ToString("o", CultureInfo.InvariantCulture) });
        }

        properties.StoreTokens(tokens);
        return properties;
    }

    private ValueTask SaveAsync(AuthenticationProperties properties, string scheme = Scheme) => _tokens.SaveAsync(Subject, scheme, properties, default);

    [Fact]
    public async Task Saved_AccessToken_IsReturnedWhileValid_WithoutCallingTheProvider()
    {
        await SaveAsync(Properties(expiresAt: Now.AddHours(1)));

        Assert.Equal("at-1", await AccessTokenAsync(Subject, default));
        _time.Advance(TimeSpan.FromMinutes(58));
        Assert.Equal("at-1", await AccessTokenAsync(Subject, default));
        Assert.Equal(0, _tokenEndpoint.Calls);
    }

    [Fact]
    public async Task Saved_WithoutExpiry_IsReturnedForever()
    {
        await SaveAsync(Properties(refreshToken: null));

        _time.Advance(TimeSpan.FromDays(365));

        Assert.Equal("at-1", await AccessTokenAsync(Subject, default));
    }

    [Fact]
    public async Task Saved_IsStoredEncrypted_NotInClear()
    {
        await SaveAsync(Properties(accessToken: "upstream-access-secret", refreshToken: "upstream-refresh-secret", expiresAt: Now.AddHours(1)));

        var stored = await _store.FindAsync(Subject, UpstreamTokenStore.Slot, default);

        Assert.NotNull(stored);
        Assert.DoesNotContain("upstream-access-secret", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("upstream-refresh-secret", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_WithoutRefreshToken_IsNull_AndNoProviderCall()
    {
        await SaveAsync(Properties(refreshToken: null, expiresAt: Now.AddHours(1)));

        _time.Advance(TimeSpan.FromHours(2));

        Assert.Null(await AccessTokenAsync(Subject, default));
        Assert.Equal(0, _tokenEndpoint.Calls);
    }

    [Fact]
    public async Task WithinTheRefreshMargin_CountsAsExpired()
    {
        _options.SignIn.UpstreamTokenRefreshMargin = TimeSpan.FromMinutes(5);
        await SaveAsync(Properties(refreshToken: null, expiresAt: Now.AddMinutes(4)));

        Assert.Null(await AccessTokenAsync(Subject, default));
    }

    [Fact]
    public async Task SaveWithoutAccessToken_RemovesTheStoredTokens()
    {
        await SaveAsync(Properties(expiresAt: Now.AddHours(1)));

        // A later sign-in through a provider that gave no token: the old user's tokens must not linger.
        await SaveAsync(Properties(accessToken: null, refreshToken: null));

        Assert.Null(await AccessTokenAsync(Subject, default));
        Assert.Null(await _store.FindAsync(Subject, UpstreamTokenStore.Slot, default));
    }

    [Fact]
    public async Task SaveAgain_ReplacesTheOlderTokens()
    {
        await SaveAsync(Properties(accessToken: "old", expiresAt: Now.AddHours(1)));

        await SaveAsync(Properties(accessToken: "new", expiresAt: Now.AddHours(1)));

        Assert.Equal("new", await AccessTokenAsync(Subject, default));
    }

    [Fact]
    public async Task Tokens_AreKeptPerUser()
    {
        await SaveAsync(Properties(accessToken: "alice-token"));

        Assert.Null(await AccessTokenAsync("ext:bob", default));
        Assert.Equal("alice-token", await AccessTokenAsync(Subject, default));
    }

    [Fact]
    public async Task Expired_WithRefreshToken_IsRefreshedAtTheSchemesTokenEndpoint_WithItsClientCredentials()
    {
        _tokenEndpoint.Respond(HttpStatusCode.OK, """{"access_token":"at-2","refresh_token":"rt-2","expires_in":3600,"token_type":"Bearer"}""");
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(30)));
        _time.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal("at-2", await AccessTokenAsync(Subject, default));

        var request = Assert.Single(_tokenEndpoint.Requests);
        Assert.Equal("https://idp.invalid/token", request.Uri.AbsoluteUri);
        Assert.Equal("refresh_token", request.Form["grant_type"]);
        Assert.Equal("rt-1", request.Form["refresh_token"]);
        Assert.Equal("upstream-client", request.Form["client_id"]);
        Assert.Equal("upstream-secret", request.Form["client_secret"]);

        // The new token and its new lifetime are kept: no second call while it is valid.
        _time.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal("at-2", await AccessTokenAsync(Subject, default));
        Assert.Single(_tokenEndpoint.Requests);
    }

    [Fact]
    public async Task Refresh_RotatedRefreshToken_IsUsedNextTime()
    {
        _tokenEndpoint.Respond(HttpStatusCode.OK, """{"access_token":"at-2","refresh_token":"rt-2","expires_in":600}""");
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("at-2", await AccessTokenAsync(Subject, default));

        _tokenEndpoint.Respond(HttpStatusCode.OK, """{"access_token":"at-3","expires_in":600}""");
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("at-3", await AccessTokenAsync(Subject, default));

        // A provider that does not rotate sends none back: the last one stays in use.
        _tokenEndpoint.Respond(HttpStatusCode.OK, """{"access_token":"at-4","expires_in":600}""");
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("at-4", await AccessTokenAsync(Subject, default));

        Assert.Equal(["rt-1", "rt-2", "rt-2"], _tokenEndpoint.Requests.Select(r => r.Form["refresh_token"]));
    }

    [Fact]
    public async Task Refresh_RefusedWithInvalidGrant_IsNull_AndTheTokensAreDropped()
    {
        _tokenEndpoint.Respond(HttpStatusCode.BadRequest, """{"error":"invalid_grant"}""");
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await AccessTokenAsync(Subject, default));
        Assert.Null(await _store.FindAsync(Subject, UpstreamTokenStore.Slot, default));
        Assert.Null(await AccessTokenAsync(Subject, default));
        Assert.Equal(1, _tokenEndpoint.Calls);
    }

    [Theory]
    [InlineData("invalid_client")]
    [InlineData("unauthorized_client")]
    public async Task Refresh_RefusedForTheServersClient_IsNull_ButTheUsersTokensAreKept(string error)
    {
        // A rotated or mistyped client secret is the operator's to fix; it must not wipe every user's refresh token.
        _tokenEndpoint.Respond(HttpStatusCode.Unauthorized, $$"""{"error":"{{error}}"}""");
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await AccessTokenAsync(Subject, default));
        Assert.NotNull(await _store.FindAsync(Subject, UpstreamTokenStore.Slot, default));
    }

    [Fact]
    public async Task Refresh_FailingForAnotherReason_IsNull_ButTheTokensAreKeptForALaterTry()
    {
        _tokenEndpoint.Respond(HttpStatusCode.ServiceUnavailable, """{"error":"temporarily_unavailable"}""");
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await AccessTokenAsync(Subject, default));
        Assert.NotNull(await _store.FindAsync(Subject, UpstreamTokenStore.Slot, default));

        _tokenEndpoint.Respond(HttpStatusCode.OK, """{"access_token":"at-2","expires_in":600}""");
        Assert.Equal("at-2", await AccessTokenAsync(Subject, default));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"access_token":42}""")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task Refresh_MalformedAnswer_IsNull_NeverAnException(string body)
    {
        _tokenEndpoint.Respond(HttpStatusCode.OK, body);
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await AccessTokenAsync(Subject, default));
    }

    [Fact]
    public async Task Refresh_SchemeThatCannotRefresh_IsNull_AndNoCall()
    {
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(1)), scheme: "not-registered");
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await AccessTokenAsync(Subject, default));
        Assert.Equal(0, _tokenEndpoint.Calls);
    }

    [Fact]
    public async Task Refresh_ConcurrentCallers_SpendTheRefreshTokenOnce()
    {
        _tokenEndpoint.Respond(HttpStatusCode.OK, """{"access_token":"at-2","refresh_token":"rt-2","expires_in":600}""");
        _tokenEndpoint.Hold();
        await SaveAsync(Properties(expiresAt: Now.AddMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        var first = AccessTokenAsync(Subject, default).AsTask();
        // A bound so a broken lock fails the test instead of hanging it; not a timing assertion.
        await _tokenEndpoint.FirstCallArrived.WaitAsync(TimeSpan.FromSeconds(30));
        var second = AccessTokenAsync(Subject, default).AsTask();
        _tokenEndpoint.Release();

        var results = await Task.WhenAll(first, second);
        Assert.All(results, r => Assert.Equal("at-2", r));
        Assert.Equal(1, _tokenEndpoint.Calls);
    }

    private sealed record SeenRequest(Uri Uri, Dictionary<string, string> Form);

    /// <summary>The provider's token endpoint as seen through the scheme's back-channel.</summary>
    private sealed class FakeTokenEndpoint : HttpMessageHandler
    {
        private readonly ConcurrentQueue<SeenRequest> _requests = new();
        private readonly TaskCompletionSource _firstCall = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _hold;
        private (HttpStatusCode Status, string Body) _response = (HttpStatusCode.InternalServerError, "");

        public IReadOnlyList<SeenRequest> Requests => [.. _requests];

        public int Calls => _requests.Count;

        public Task FirstCallArrived => _firstCall.Task;

        public void Respond(HttpStatusCode status, string body) => _response = (status, body);

        public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _hold?.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            _requests.Enqueue(new SeenRequest(request.RequestUri!, QueryHelpers.ParseQuery(body).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal)));
            _firstCall.TrySetResult();
            if (_hold is { } hold)
            {
                await hold.Task.WaitAsync(cancellationToken);
            }

            return new HttpResponseMessage(_response.Status) { Content = new StringContent(_response.Body, Encoding.UTF8, "application/json") };
        }
    }
}
