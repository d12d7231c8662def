using McpSseAuth.Stores;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

public sealed class InMemoryGrantStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly McpOAuthOptions _options = new() { MaxPendingAuthorizations = 5 };
    private readonly InMemoryGrantStore _store;
    private readonly IAuthorizationCodeStore _codes;
    private readonly IRefreshTokenStore _refresh;
    private readonly IPendingAuthorizationStore _pending;

    public InMemoryGrantStoreTests()
    {
        _store = new InMemoryGrantStore(_time, Microsoft.Extensions.Options.Options.Create(_options));
        _codes = _store;
        _refresh = _store;
        _pending = _store;
    }

    public void Dispose() => _store.Dispose();

    private static readonly GrantSubject Alice = new("alice-sub", "Alice");

    private AuthorizationCode Code(string grantId = "grant-1", TimeSpan? lifetime = null) => new()
    {
        ClientId = "client-1",
        RedirectUri = "http://127.0.0.1/cb",
        RedirectUriGiven = true,
        CodeChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        User = Alice,
        Scopes = ["mcp:tools"],
        Resources = ["https://mcp.example.com/mcp"],
        GrantId = grantId,
        IssuedAt = _time.GetUtcNow(),
        ExpiresAt = _time.GetUtcNow() + (lifetime ?? TimeSpan.FromMinutes(1)),
    };

    private RefreshToken Refresh(string grantId = "grant-1", TimeSpan? lifetime = null) => new()
    {
        ClientId = "client-1",
        User = Alice,
        Scopes = ["mcp:tools"],
        Resources = ["https://mcp.example.com/mcp"],
        GrantId = grantId,
        ExpiresAt = _time.GetUtcNow() + (lifetime ?? TimeSpan.FromDays(30)),
    };

    private PendingAuthorization Pending(TimeSpan? lifetime = null) => new()
    {
        ClientId = "client-1",
        RedirectUri = "http://127.0.0.1/cb",
        RedirectUriGiven = true,
        State = "xyz",
        CodeChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        Scopes = ["mcp:tools"],
        Resources = ["https://mcp.example.com/mcp"],
        Subject = "alice-sub",
        ExpiresAt = _time.GetUtcNow() + (lifetime ?? TimeSpan.FromMinutes(10)),
    };

    [Fact]
    public async Task Code_RedeemedOnce_ReturnsTheCode()
    {
        var code = Code();
        await _codes.StoreAsync("handle-1", code, default);

        var (status, redeemed) = await _codes.TryRedeemAsync("handle-1", default);

        Assert.Equal(RedeemStatus.Redeemed, status);
        Assert.Equal(code, redeemed);
        Assert.False(await _store.IsRevokedAsync("grant-1", default));
    }

    [Fact]
    public async Task Code_UnknownHandle_IsNotFound()
    {
        await _codes.StoreAsync("handle-1", Code(), default);
        var (status, code) = await _codes.TryRedeemAsync("handle-2", default);
        Assert.Equal(RedeemStatus.NotFound, status);
        Assert.Null(code);
    }

    [Fact]
    public async Task Code_RacedBy50ConcurrentRedemptions_IsRedeemedExactlyOnce()
    {
        await _codes.StoreAsync("raced", Code(), default);
        using var gate = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            gate.Wait();
            return (await _codes.TryRedeemAsync("raced", default)).Status;
        })).ToArray();
        gate.Set();
        var statuses = await Task.WhenAll(attempts);

        Assert.Single(statuses, s => s == RedeemStatus.Redeemed);
        Assert.Equal(49, statuses.Count(s => s == RedeemStatus.Replayed));
    }

    [Fact]
    public async Task Code_Replayed_IsRefusedAndRevokesItsGrant()
    {
        await _codes.StoreAsync("handle-1", Code("grant-7"), default);
        await _codes.TryRedeemAsync("handle-1", default);

        var (status, _) = await _codes.TryRedeemAsync("handle-1", default);

        Assert.Equal(RedeemStatus.Replayed, status);
        Assert.True(await _store.IsRevokedAsync("grant-7", default));
        Assert.False(await _store.IsRevokedAsync("grant-other", default));
    }

    [Fact]
    public async Task Code_Replayed_MakesRefreshTokensOfItsGrantUnusable()
    {
        await _codes.StoreAsync("code", Code("grant-7"), default);
        await _codes.TryRedeemAsync("code", default);
        await _refresh.StoreAsync("refresh", Refresh("grant-7"), default);

        await _codes.TryRedeemAsync("code", default);
        var (status, token) = await _refresh.TryRedeemAsync("refresh", default);

        Assert.NotEqual(RedeemStatus.Redeemed, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task Code_AfterItsLifetime_IsExpired()
    {
        await _codes.StoreAsync("handle-1", Code(lifetime: TimeSpan.FromMinutes(1)), default);
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        var (status, code) = await _codes.TryRedeemAsync("handle-1", default);

        Assert.Equal(RedeemStatus.Expired, status);
        Assert.Null(code);
    }

    [Fact]
    public async Task Code_JustBeforeItsLifetimeEnds_IsRedeemed()
    {
        await _codes.StoreAsync("handle-1", Code(lifetime: TimeSpan.FromMinutes(1)), default);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(RedeemStatus.Redeemed, (await _codes.TryRedeemAsync("handle-1", default)).Status);
    }

    [Fact]
    public async Task Code_AndRefreshTokenWithTheSameHandle_DoNotCollide()
    {
        await _codes.StoreAsync("same", Code(), default);
        await _refresh.StoreAsync("same", Refresh(), default);

        Assert.Equal(RedeemStatus.Redeemed, (await _codes.TryRedeemAsync("same", default)).Status);
        Assert.Equal(RedeemStatus.Redeemed, (await _refresh.TryRedeemAsync("same", default)).Status);
    }

    [Fact]
    public async Task RefreshToken_RedeemedOnce_ReturnsTheToken()
    {
        var token = Refresh();
        await _refresh.StoreAsync("r1", token, default);
        var (status, redeemed) = await _refresh.TryRedeemAsync("r1", default);
        Assert.Equal(RedeemStatus.Redeemed, status);
        Assert.Equal(token, redeemed);
    }

    [Fact]
    public async Task RefreshToken_Replayed_RevokesItsGrant()
    {
        await _refresh.StoreAsync("r1", Refresh("grant-9"), default);
        await _refresh.TryRedeemAsync("r1", default);
        Assert.False(await _store.IsRevokedAsync("grant-9", default));

        var (status, _) = await _refresh.TryRedeemAsync("r1", default);

        Assert.Equal(RedeemStatus.Replayed, status);
        Assert.True(await _store.IsRevokedAsync("grant-9", default));
    }

    [Fact]
    public async Task RefreshToken_ReplayOfRotatedToken_MakesTheRotatedSuccessorUnusable()
    {
        // The thief replays r1 after the client rotated it to r2: the whole family ends.
        await _refresh.StoreAsync("r1", Refresh("grant-9"), default);
        await _refresh.TryRedeemAsync("r1", default);
        await _refresh.StoreAsync("r2", Refresh("grant-9"), default);

        await _refresh.TryRedeemAsync("r1", default);
        var (status, token) = await _refresh.TryRedeemAsync("r2", default);

        Assert.NotEqual(RedeemStatus.Redeemed, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task RefreshToken_RacedBy50ConcurrentRedemptions_IsRedeemedExactlyOnce()
    {
        await _refresh.StoreAsync("raced", Refresh(), default);
        using var gate = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            gate.Wait();
            return (await _refresh.TryRedeemAsync("raced", default)).Status;
        })).ToArray();
        gate.Set();
        var statuses = await Task.WhenAll(attempts);

        // One caller takes the token; the others are replays, and the first of them revokes the grant (OAuth 2.1 §4.3.1).
        // Callers that check after that revocation, the taker included, are refused as unknown: never two redemptions.
        Assert.True(statuses.Count(s => s == RedeemStatus.Redeemed) <= 1, string.Join(",", statuses));
        Assert.Contains(RedeemStatus.Replayed, statuses);
        Assert.All(statuses, s => Assert.True(s is RedeemStatus.Redeemed or RedeemStatus.Replayed or RedeemStatus.NotFound, s.ToString()));
        Assert.True(await _store.IsRevokedAsync("grant-1", default));
    }

    [Fact]
    public async Task RefreshToken_OfRevokedGrant_IsNotRedeemed()
    {
        await _refresh.StoreAsync("r1", Refresh("grant-3"), default);
        await _refresh.RevokeGrantAsync("grant-3", default);

        var (status, token) = await _refresh.TryRedeemAsync("r1", default);

        Assert.Equal(RedeemStatus.NotFound, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task RefreshToken_AfterItsLifetime_IsExpired()
    {
        await _refresh.StoreAsync("r1", Refresh(lifetime: TimeSpan.FromDays(30)), default);
        _time.Advance(TimeSpan.FromDays(30));

        var (status, token) = await _refresh.TryRedeemAsync("r1", default);

        Assert.Equal(RedeemStatus.Expired, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task PendingAuthorization_CanBeReadRepeatedlyButTakenOnce()
    {
        var request = Pending();
        await _pending.StoreAsync("p1", request, default);

        Assert.Equal(request, await _pending.FindAsync("p1", default));
        Assert.Equal(request, await _pending.FindAsync("p1", default));
        Assert.Equal(request, await _pending.TryTakeAsync("p1", default));
        Assert.Null(await _pending.TryTakeAsync("p1", default));
    }

    [Fact]
    public async Task PendingAuthorization_AfterItsLifetime_IsNeitherFoundNorTaken()
    {
        await _pending.StoreAsync("p1", Pending(TimeSpan.FromMinutes(10)), default);
        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.Null(await _pending.FindAsync("p1", default));
        Assert.Null(await _pending.TryTakeAsync("p1", default));
    }

    [Fact]
    public async Task Store_WhenFull_RefusesNewCodesAndPendingRequests_ButNeverARotatedRefreshToken()
    {
        for (var i = 0; i < _options.MaxPendingAuthorizations; i++)
        {
            Assert.True(await _codes.StoreAsync("code-" + i, Code(), default));
        }

        Assert.False(await _codes.StoreAsync("one-more", Code(), default));
        Assert.False(await _pending.StoreAsync("pending-more", Pending(), default));
        await _refresh.StoreAsync("refresh-more", Refresh(), default);
        Assert.Equal(RedeemStatus.Redeemed, (await _refresh.TryRedeemAsync("refresh-more", default)).Status);
    }

    [Fact]
    public async Task FindRefreshToken_DoesNotSpendIt_AndFindsNothingOnceSpent()
    {
        await _refresh.StoreAsync("r1", Refresh(), default);

        Assert.NotNull(await _refresh.FindAsync("r1", default));
        Assert.NotNull(await _refresh.FindAsync("r1", default));
        Assert.Equal(RedeemStatus.Redeemed, (await _refresh.TryRedeemAsync("r1", default)).Status);
        Assert.Null(await _refresh.FindAsync("r1", default));
    }

    [Fact]
    public async Task SpentRefreshToken_ReplayedWithinADay_StillRevokesTheGrant()
    {
        await _refresh.StoreAsync("r2", Refresh("grant-late"), default);
        await _refresh.TryRedeemAsync("r2", default);
        _time.Advance(TimeSpan.FromHours(20));

        var (status, _) = await _refresh.TryRedeemAsync("r2", default);

        Assert.Equal(RedeemStatus.Replayed, status);
        Assert.True(await _store.IsRevokedAsync("grant-late", default));
    }
}
