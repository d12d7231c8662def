using McpSseAuth.Grants;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

/// <summary>The store of codes, refresh tokens, pending requests and revocations keeps the contract on the in-memory storage.</summary>
public sealed class InMemoryGrantStoreTests() : GrantStoreContract((time, options) => new GrantStore(new McpSseAuth.Storage.InMemoryOAuthStorage(time), time, options));

/// <summary>
/// What every store of authorization codes, refresh tokens, pending authorization requests and grant revocations must do:
/// single-use redemption under races, replay detection, expiry on the injected clock, revocation of a whole grant. Each
/// implementation runs it by deriving a class that creates the store (one object serving all four interfaces).
/// </summary>
public abstract class GrantStoreContract : IDisposable
{
    private static readonly DateTimeOffset Start = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly McpOAuthOptions _options = new() { Tokens = { MaxPendingAuthorizations = 5 } };
    private readonly object _store;
    private readonly IAuthorizationCodeStore _codes;
    private readonly IRefreshTokenStore _refresh;
    private readonly IPendingAuthorizationStore _pending;
    private readonly IGrantRevocations _revocations;

    protected GrantStoreContract(Func<TimeProvider, Microsoft.Extensions.Options.IOptions<McpOAuthOptions>, object> create)
    {
        _store = create(_time, Microsoft.Extensions.Options.Options.Create(_options));
        _codes = (IAuthorizationCodeStore)_store;
        _refresh = (IRefreshTokenStore)_store;
        _pending = (IPendingAuthorizationStore)_store;
        _revocations = (IGrantRevocations)_store;
    }

    public void Dispose()
    {
        (_store as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }

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
        GrantCreatedAt = _time.GetUtcNow(),
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

        var (status, redeemed) = await _codes.TryRedeemAsync("handle-1", null, default);

        Assert.Equal(RedeemStatus.Redeemed, status);
        Assert.Equivalent(code, redeemed, strict: true);
        Assert.False(await _revocations.IsRevokedAsync("grant-1", default));
    }

    [Fact]
    public async Task Code_UnknownHandle_IsNotFound()
    {
        await _codes.StoreAsync("handle-1", Code(), default);
        var (status, code) = await _codes.TryRedeemAsync("handle-2", null, default);
        Assert.Equal(RedeemStatus.NotFound, status);
        Assert.Null(code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Code_RacedBy50ConcurrentRedemptions_IsRedeemedExactlyOnce(bool eachReadItFirst)
    {
        await _codes.StoreAsync("raced", Code(), default);
        // The token endpoint reads the code, checks it, then spends it with what it read: every racer has read it live.
        var read = eachReadItFirst ? await _codes.FindAsync("raced", default) : null;
        Assert.Equal(eachReadItFirst, read is not null);
        using var gate = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            gate.Wait();
            return (await _codes.TryRedeemAsync("raced", read, default)).Status;
        })).ToArray();
        gate.Set();
        var statuses = await Task.WhenAll(attempts);

        Assert.Single(statuses, s => s == RedeemStatus.Redeemed);
        Assert.Equal(49, statuses.Count(s => s == RedeemStatus.Replayed));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Code_Replayed_IsRefusedAndRevokesItsGrant(bool replayedWithWhatItRead)
    {
        await _codes.StoreAsync("handle-1", Code("grant-7"), default);
        var read = await _codes.FindAsync("handle-1", default);
        await _codes.TryRedeemAsync("handle-1", read, default);

        var (status, _) = await _codes.TryRedeemAsync("handle-1", replayedWithWhatItRead ? read : null, default);

        Assert.Equal(RedeemStatus.Replayed, status);
        Assert.True(await _revocations.IsRevokedAsync("grant-7", default));
        Assert.False(await _revocations.IsRevokedAsync("grant-other", default));
    }

    [Fact]
    public async Task Code_Replayed_MakesRefreshTokensOfItsGrantUnusable()
    {
        await _codes.StoreAsync("code", Code("grant-7"), default);
        await _codes.TryRedeemAsync("code", null, default);
        await _refresh.StoreAsync("refresh", Refresh("grant-7"), default);

        await _codes.TryRedeemAsync("code", null, default);
        var (status, token, _) = await _refresh.TryRedeemAsync("refresh", default);

        Assert.NotEqual(RedeemStatus.Redeemed, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task Code_AfterItsLifetime_IsExpired()
    {
        await _codes.StoreAsync("handle-1", Code(lifetime: TimeSpan.FromMinutes(1)), default);
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        var (status, code) = await _codes.TryRedeemAsync("handle-1", null, default);

        Assert.Equal(RedeemStatus.Expired, status);
        Assert.Null(code);
    }

    [Fact]
    public async Task Code_JustBeforeItsLifetimeEnds_IsRedeemed()
    {
        await _codes.StoreAsync("handle-1", Code(lifetime: TimeSpan.FromMinutes(1)), default);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(RedeemStatus.Redeemed, (await _codes.TryRedeemAsync("handle-1", null, default)).Status);
    }

    [Fact]
    public async Task Code_AndRefreshTokenWithTheSameHandle_DoNotCollide()
    {
        await _codes.StoreAsync("same", Code(), default);
        await _refresh.StoreAsync("same", Refresh(), default);

        Assert.Equal(RedeemStatus.Redeemed, (await _codes.TryRedeemAsync("same", null, default)).Status);
        Assert.Equal(RedeemStatus.Redeemed, (await _refresh.TryRedeemAsync("same", default)).Status);
    }

    [Fact]
    public async Task RefreshToken_RedeemedOnce_ReturnsTheToken()
    {
        var token = Refresh();
        await _refresh.StoreAsync("r1", token, default);
        var (status, redeemed, redeemedAt) = await _refresh.TryRedeemAsync("r1", default);
        Assert.Equal(RedeemStatus.Redeemed, status);
        Assert.Equivalent(token, redeemed, strict: true);
        Assert.Equal(_time.GetUtcNow(), redeemedAt);
    }

    [Fact]
    public async Task RefreshToken_Replayed_IsReportedWithWhenItWasFirstRedeemed_TheGrantIsLeftToTheCaller()
    {
        await _refresh.StoreAsync("r1", Refresh("grant-9"), default);
        var firstUse = _time.GetUtcNow();
        await _refresh.TryRedeemAsync("r1", default);
        _time.Advance(TimeSpan.FromSeconds(7));

        var (status, token, redeemedAt) = await _refresh.TryRedeemAsync("r1", default);

        Assert.Equal(RedeemStatus.Replayed, status);
        Assert.Equal("grant-9", token!.GrantId);
        Assert.Equal(firstUse, redeemedAt);
        // The token endpoint decides between the reuse window and revoking the grant.
        Assert.False(await _revocations.IsRevokedAsync("grant-9", default));
    }

    [Fact]
    public async Task RefreshToken_ReplayedAfterItsGrantWasRevoked_IsNotFound()
    {
        await _refresh.StoreAsync("r1", Refresh("grant-9"), default);
        await _refresh.TryRedeemAsync("r1", default);
        await _refresh.StoreAsync("r2", Refresh("grant-9"), default);
        await _refresh.RevokeGrantAsync("grant-9", default);

        Assert.Equal(RedeemStatus.NotFound, (await _refresh.TryRedeemAsync("r1", default)).Status);
        var (status, token, _) = await _refresh.TryRedeemAsync("r2", default);
        Assert.Equal(RedeemStatus.NotFound, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task RefreshToken_RacedBy50ConcurrentRedemptions_IsRedeemedExactlyOnce_TheOthersSeeWhen()
    {
        await _refresh.StoreAsync("raced", Refresh(), default);
        using var gate = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            gate.Wait();
            return await _refresh.TryRedeemAsync("raced", default);
        })).ToArray();
        gate.Set();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r.Status == RedeemStatus.Redeemed);
        Assert.Equal(49, results.Count(r => r.Status == RedeemStatus.Replayed));
        // A loser never sees the token taken without the time it was taken.
        Assert.All(results, r => Assert.Equal(_time.GetUtcNow(), r.RedeemedAt));
    }

    [Fact]
    public async Task Rotate_StoresTheSuccessorAndKeepsTheAnswer_ThenSpendsTheToken()
    {
        var current = Refresh();
        await _refresh.StoreAsync("r1", current, default);

        var outcome = await _refresh.RotateAsync("r1", current, "r2", Refresh(), "answer-1", default);

        Assert.Equal(RedeemStatus.Redeemed, outcome.Status);
        Assert.Equal("answer-1", outcome.SealedResponse);
        Assert.Equal(RefreshState.Spent, (await _refresh.InspectAsync("r1", default)).State);
        Assert.Equal(RefreshState.Live, (await _refresh.InspectAsync("r2", default)).State);
        Assert.Equal("answer-1", await _refresh.FindSuccessorAsync("r1", default));
        Assert.True(await _refresh.IsSpentAsync("r1", default));
        Assert.False(await _refresh.IsSpentAsync("r2", default));
        Assert.Null(await _refresh.FindSuccessorAsync("r2", default));
    }

    [Fact]
    public async Task Rotate_OfASpentToken_IsAReplay_AndItsOwnSuccessorIsWithdrawn()
    {
        var current = Refresh();
        await _refresh.StoreAsync("r1", current, default);
        await _refresh.RotateAsync("r1", current, "r2", Refresh(), "answer-1", default);

        var twin = await _refresh.RotateAsync("r1", current, "r3", Refresh(), "answer-2", default);

        // The family does not fork: the first answer stays the only one, the twin's successor never lives.
        Assert.Equal(RedeemStatus.Replayed, twin.Status);
        Assert.Equal(current.GrantId, twin.Spent!.GrantId);
        Assert.Equal(_time.GetUtcNow(), twin.SpentAt);
        Assert.Equal("answer-1", await _refresh.FindSuccessorAsync("r1", default));
        Assert.Equal(RefreshState.Unknown, (await _refresh.InspectAsync("r3", default)).State);
        Assert.Equal(RefreshState.Live, (await _refresh.InspectAsync("r2", default)).State);
    }

    [Fact]
    public async Task Rotate_ConcurrentTwins_AllAnswerTheSameSuccessor()
    {
        var current = Refresh();
        await _refresh.StoreAsync("r1", current, default);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () => await _refresh.RotateAsync("r1", current, "s" + i, Refresh(), "answer-" + i, default))));

        var winner = Assert.Single(outcomes, o => o.Status == RedeemStatus.Redeemed);
        Assert.All(outcomes.Where(o => o.Status != RedeemStatus.Redeemed), o => Assert.Equal(RedeemStatus.Replayed, o.Status));
        Assert.Equal(winner.SealedResponse, await _refresh.FindSuccessorAsync("r1", default));
        var live = 0;
        for (var i = 0; i < 8; i++)
        {
            live += (await _refresh.InspectAsync("s" + i, default)).State == RefreshState.Live ? 1 : 0;
        }

        Assert.Equal(1, live);
    }

    [Fact]
    public async Task Inspect_TellsLiveSpentAndUnknown_AndARevokedGrantIsUnknown()
    {
        await _refresh.StoreAsync("r1", Refresh("grant-live"), default);
        await _refresh.StoreAsync("r2", Refresh("grant-revoked"), default);
        await _refresh.RevokeGrantAsync("grant-revoked", default);

        Assert.Equal(RefreshState.Live, (await _refresh.InspectAsync("r1", default)).State);
        Assert.Equal(RefreshState.Unknown, (await _refresh.InspectAsync("r2", default)).State);
        Assert.Equal(RefreshState.Unknown, (await _refresh.InspectAsync("never", default)).State);
        await _refresh.TryRedeemAsync("r1", default);
        var (state, token, spentAt) = await _refresh.InspectAsync("r1", default);
        Assert.Equal(RefreshState.Spent, state);
        Assert.Equal("grant-live", token!.GrantId);
        Assert.Equal(_time.GetUtcNow(), spentAt);
    }

    [Fact]
    public async Task Inspect_OfAHandleNamingItsGrant_SeesTheGrantRevoked_AndAHandleNamingAnotherGrantIsJudgedByItsOwn()
    {
        // Handles name their grant ("{grant}.{random}") so its revocation is read alongside; a handle that names a grant
        // other than its token's (never issued so; a forged prefix) must not borrow that grant's standing.
        await _refresh.StoreAsync("grant-a.r1", Refresh("grant-a"), default);
        await _refresh.StoreAsync("grant-live.r2", Refresh("grant-revoked"), default);
        await _refresh.StoreAsync("r3", Refresh("grant-a"), default);
        await _refresh.RevokeGrantAsync("grant-a", default);
        await _refresh.RevokeGrantAsync("grant-revoked", default);

        Assert.Equal(RefreshState.Unknown, (await _refresh.InspectAsync("grant-a.r1", default)).State);
        Assert.Equal(RefreshState.Unknown, (await _refresh.InspectAsync("grant-live.r2", default)).State);
        Assert.Equal(RefreshState.Unknown, (await _refresh.InspectAsync("r3", default)).State);
        await _refresh.StoreAsync("grant-b.r4", Refresh("grant-b"), default);
        Assert.Equal(RefreshState.Live, (await _refresh.InspectAsync("grant-b.r4", default)).State);
    }

    [Fact]
    public async Task RefreshToken_OfRevokedGrant_IsNotRedeemed()
    {
        await _refresh.StoreAsync("r1", Refresh("grant-3"), default);
        await _refresh.RevokeGrantAsync("grant-3", default);

        var (status, token, _) = await _refresh.TryRedeemAsync("r1", default);

        Assert.Equal(RedeemStatus.NotFound, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task RefreshToken_AfterItsLifetime_IsExpired()
    {
        await _refresh.StoreAsync("r1", Refresh(lifetime: TimeSpan.FromDays(30)), default);
        _time.Advance(TimeSpan.FromDays(30));

        var (status, token, _) = await _refresh.TryRedeemAsync("r1", default);

        Assert.Equal(RedeemStatus.Expired, status);
        Assert.Null(token);
    }

    [Fact]
    public async Task PendingAuthorization_CanBeReadRepeatedlyButTakenOnce()
    {
        var request = Pending();
        await _pending.StoreAsync("p1", request, default);

        Assert.Equivalent(request, await _pending.FindAsync("p1", default), strict: true);
        Assert.Equivalent(request, await _pending.FindAsync("p1", default), strict: true);
        Assert.Equivalent(request, await _pending.TryTakeAsync("p1", default), strict: true);
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
        for (var i = 0; i < _options.Tokens.MaxPendingAuthorizations; i++)
        {
            Assert.True(await _codes.StoreAsync("code-" + i, Code(), default));
        }

        Assert.False(await _codes.StoreAsync("one-more", Code(), default));
        Assert.False(await _pending.StoreAsync("pending-more", Pending(), default));
        await _refresh.StoreAsync("refresh-more", Refresh(), default);
        Assert.Equal(RedeemStatus.Redeemed, (await _refresh.TryRedeemAsync("refresh-more", default)).Status);
    }

    [Fact]
    public async Task Store_WhenFull_AdmitsNewFlowsOnceTheAdmittedOnesExpireOnItsClock()
    {
        for (var i = 0; i < _options.Tokens.MaxPendingAuthorizations; i++)
        {
            Assert.True(await _codes.StoreAsync("code-" + i, Code(lifetime: TimeSpan.FromMinutes(1)), default));
        }

        Assert.False(await _pending.StoreAsync("refused", Pending(TimeSpan.FromMinutes(10)), default));

        // The bound follows McpSseAuth's clock, not the machine's: expired flows no longer hold a place.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await _pending.StoreAsync("admitted", Pending(TimeSpan.FromMinutes(10)), default));
        Assert.True(await _codes.StoreAsync("code-again", Code(), default));
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
    public async Task SpentRefreshToken_ReplayedWithinADay_IsStillRecognisedAsAReplay()
    {
        await _refresh.StoreAsync("r2", Refresh("grant-late"), default);
        var firstUse = _time.GetUtcNow();
        await _refresh.TryRedeemAsync("r2", default);
        _time.Advance(TimeSpan.FromHours(20));

        var (status, _, redeemedAt) = await _refresh.TryRedeemAsync("r2", default);

        Assert.Equal(RedeemStatus.Replayed, status);
        Assert.Equal(firstUse, redeemedAt);
    }
}
