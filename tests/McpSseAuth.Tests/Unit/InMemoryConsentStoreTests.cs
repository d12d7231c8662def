using McpSseAuth.Grants;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

/// <summary>The in-memory store of consents, grants and sign-outs keeps the contract.</summary>
public sealed class InMemoryConsentStoreTests() : ConsentStoreContract(time => new ConsentStore(new McpSseAuth.Storage.InMemoryOAuthStorage(time), time));

/// <summary>
/// What every store of remembered consents, the grant list of the connected-apps page and sign-outs must do, per user and
/// client, with expiry and last use on the injected clock. Each implementation runs it by deriving a class that creates the
/// store (one object serving <see cref="IConsentStore"/>, <see cref="IGrantStore"/> and <see cref="IUserSignOuts"/>).
/// </summary>
public abstract class ConsentStoreContract
{
    private static readonly DateTimeOffset Start = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly IConsentStore _consents;
    private readonly IGrantStore _grants;
    private readonly IUserSignOuts _signOuts;

    protected ConsentStoreContract(Func<TimeProvider, object> create)
    {
        var store = create(_time);
        _consents = (IConsentStore)store;
        _grants = (IGrantStore)store;
        _signOuts = (IUserSignOuts)store;
    }

    private static Consent Consent(string subject, string clientId, params string[] scopes) => new()
    {
        Subject = subject,
        ClientId = clientId,
        Scopes = scopes.Length == 0 ? ["mcp:tools"] : scopes,
        Resources = ["https://mcp.example.com/mcp"],
        RedirectUris = ["http://127.0.0.1:7777/callback"],
        GrantedAt = Start,
    };

    private GrantRecord Grant(string grantId, string subject = "alice", string clientId = "client-1", TimeSpan? lifetime = null) => new()
    {
        GrantId = grantId,
        Subject = subject,
        ClientId = clientId,
        Scopes = ["mcp:tools"],
        Resources = ["https://mcp.example.com/mcp"],
        CreatedAt = _time.GetUtcNow(),
        LastUsedAt = _time.GetUtcNow(),
        ExpiresAt = _time.GetUtcNow() + (lifetime ?? TimeSpan.FromDays(30)),
    };

    [Fact]
    public async Task Consent_StoredThenFound_PerUserAndClient()
    {
        var consent = Consent("alice", "client-1");
        await _consents.StoreAsync(consent, default);

        Assert.Equivalent(consent, await _consents.FindAsync("alice", "client-1", default), strict: true);
        Assert.Null(await _consents.FindAsync("alice", "client-2", default));
        Assert.Null(await _consents.FindAsync("bob", "client-1", default));
    }

    [Fact]
    public async Task Consent_StoredAgain_ReplacesThePreviousOne()
    {
        await _consents.StoreAsync(Consent("alice", "client-1", "mcp:tools"), default);

        await _consents.StoreAsync(Consent("alice", "client-1", "mcp:tools", "files:read"), default);

        Assert.Equal(["mcp:tools", "files:read"], (await _consents.FindAsync("alice", "client-1", default))!.Scopes);
        Assert.Single(await _consents.ListAsync("alice", default));
    }

    [Fact]
    public async Task Consent_Removed_IsForgotten_AndRemoveSaysWhetherThereWasOne()
    {
        await _consents.StoreAsync(Consent("alice", "client-1"), default);
        await _consents.StoreAsync(Consent("bob", "client-1"), default);

        Assert.True(await _consents.RemoveAsync("alice", "client-1", default));
        Assert.False(await _consents.RemoveAsync("alice", "client-1", default));

        Assert.Null(await _consents.FindAsync("alice", "client-1", default));
        Assert.NotNull(await _consents.FindAsync("bob", "client-1", default));
    }

    [Fact]
    public async Task Consent_List_GivesOnlyThatUsersConsents()
    {
        await _consents.StoreAsync(Consent("alice", "client-1"), default);
        await _consents.StoreAsync(Consent("alice", "client-2"), default);
        await _consents.StoreAsync(Consent("bob", "client-3"), default);

        Assert.Equal(["client-1", "client-2"], (await _consents.ListAsync("alice", default)).Select(c => c.ClientId).Order(StringComparer.Ordinal));
        Assert.Empty(await _consents.ListAsync("carol", default));
    }

    [Fact]
    public async Task Consent_DoesNotExpireWithTime()
    {
        await _consents.StoreAsync(Consent("alice", "client-1"), default);

        _time.Advance(TimeSpan.FromDays(400));

        Assert.NotNull(await _consents.FindAsync("alice", "client-1", default));
    }

    [Fact]
    public async Task Grants_List_GivesOnlyThatUsersLiveGrants()
    {
        await _grants.StoreAsync(Grant("g-1"), default);
        await _grants.StoreAsync(Grant("g-2", clientId: "client-2"), default);
        await _grants.StoreAsync(Grant("g-3", subject: "bob"), default);

        Assert.Equal(["g-1", "g-2"], (await _grants.ListAsync("alice", default)).Select(g => g.GrantId).Order(StringComparer.Ordinal));
        Assert.Equal(["g-3"], (await _grants.ListAsync("bob", default)).Select(g => g.GrantId));
    }

    [Fact]
    public async Task Grants_Expired_AreNotListed()
    {
        await _grants.StoreAsync(Grant("short", lifetime: TimeSpan.FromHours(1)), default);
        await _grants.StoreAsync(Grant("long", lifetime: TimeSpan.FromDays(30)), default);

        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(["long"], (await _grants.ListAsync("alice", default)).Select(g => g.GrantId));
    }

    [Fact]
    public async Task Grants_Touch_UpdatesLastUseAndExtendsExpiry()
    {
        await _grants.StoreAsync(Grant("g-1", lifetime: TimeSpan.FromHours(1)), default);
        _time.Advance(TimeSpan.FromMinutes(50));
        var usedAt = _time.GetUtcNow();

        await _grants.TouchAsync("g-1", usedAt, usedAt + TimeSpan.FromHours(1), default);
        _time.Advance(TimeSpan.FromMinutes(30));

        var grant = Assert.Single(await _grants.ListAsync("alice", default));
        Assert.Equal(usedAt, grant.LastUsedAt);
        Assert.Equal(usedAt + TimeSpan.FromHours(1), grant.ExpiresAt);
        Assert.Equal(Start, grant.CreatedAt);
    }

    [Fact]
    public async Task Grants_TouchOfAnUnknownGrant_IsANoOp()
    {
        await _grants.TouchAsync("nobody-knows", Start, Start.AddDays(1), default);

        Assert.Empty(await _grants.ListAsync("alice", default));
    }

    [Fact]
    public async Task Grants_Removed_AreNotListed_OthersStay()
    {
        await _grants.StoreAsync(Grant("g-1"), default);
        await _grants.StoreAsync(Grant("g-2"), default);

        await _grants.RemoveAsync("g-1", default);
        await _grants.RemoveAsync("g-1", default);

        Assert.Equal(["g-2"], (await _grants.ListAsync("alice", default)).Select(g => g.GrantId));
    }

    [Fact]
    public async Task Grants_ExpiredOnes_ArePrunedWhenNewGrantsArrive_SoTouchCannotRevive_Them()
    {
        await _grants.StoreAsync(Grant("old", lifetime: TimeSpan.FromMinutes(5)), default);
        _time.Advance(TimeSpan.FromMinutes(10));

        // A store more than a minute after the last sweep prunes expired grants.
        await _grants.StoreAsync(Grant("new"), default);
        await _grants.TouchAsync("old", _time.GetUtcNow(), _time.GetUtcNow().AddDays(30), default);

        Assert.Equal(["new"], (await _grants.ListAsync("alice", default)).Select(g => g.GrantId));
    }

    [Fact]
    public async Task ConsentsAndGrants_AreIndependent()
    {
        await _consents.StoreAsync(Consent("alice", "client-1"), default);
        await _grants.StoreAsync(Grant("g-1"), default);

        await _consents.RemoveAsync("alice", "client-1", default);

        Assert.Single(await _grants.ListAsync("alice", default));
    }

    [Fact]
    public async Task SignOuts_AreFoundPerUser_TheLatestWins()
    {
        var signOuts = _signOuts;
        await signOuts.SignOutEverywhereAsync("alice", Start.AddMinutes(5), Start.AddHours(8), default);
        await signOuts.SignOutEverywhereAsync("alice", Start.AddMinutes(1), Start.AddHours(8), default);

        Assert.Equal(Start.AddMinutes(5), await signOuts.FindAsync("alice", default));
        Assert.Null(await signOuts.FindAsync("bob", default));
    }

    [Fact]
    public async Task SignOuts_AreForgottenOnceTheirSignInsHaveExpired()
    {
        var signOuts = _signOuts;
        await signOuts.SignOutEverywhereAsync("alice", Start, Start.AddHours(8), default);
        _time.Advance(TimeSpan.FromHours(7));
        await signOuts.SignOutEverywhereAsync("bob", _time.GetUtcNow(), _time.GetUtcNow().AddHours(8), default);
        Assert.Equal(Start, await signOuts.FindAsync("alice", default));

        _time.Advance(TimeSpan.FromHours(2));
        await signOuts.SignOutEverywhereAsync("carol", _time.GetUtcNow(), _time.GetUtcNow().AddHours(8), default);

        Assert.Null(await signOuts.FindAsync("alice", default));
        Assert.NotNull(await signOuts.FindAsync("bob", default));
    }
}
