using McpSseAuth.Clients;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Unit;

/// <summary>The store of registered clients keeps the contract on the in-memory storage.</summary>
public sealed class InMemoryClientStoreTests : ClientStoreContract
{
    protected override McpSseAuth.Storage.IMcpOAuthStorage CreateStorage(TimeProvider time) => new McpSseAuth.Storage.InMemoryOAuthStorage(time);
}

/// <summary>
/// What the store of registered clients must do on every storage: a bound that floods cannot use to lock real clients out,
/// stale clients gone, used ones kept while their grants can live, one on the consent page kept until its request expires.
/// </summary>
public abstract class ClientStoreContract
{
    /// <summary>A storage of the backend under test, on <paramref name="time"/>.</summary>
    protected abstract McpSseAuth.Storage.IMcpOAuthStorage CreateStorage(TimeProvider time);

    private static readonly DateTimeOffset Start = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static ClientRegistration Client(string id, int secondsAfterStart = 0) => new()
    {
        ClientId = id,
        RedirectUris = ["http://127.0.0.1/cb"],
        GrantTypes = ["authorization_code"],
        ResponseTypes = ["code"],
        TokenEndpointAuthMethod = "none",
        IssuedAt = Start.AddSeconds(secondsAfterStart),
    };

    [Fact]
    public async Task Store_RacedByConcurrentRegistrations_NeverHoldsMoreThanItsBound()
    {
        var store = new ClientStore(CreateStorage(TimeProvider.System), Options.Create(new McpOAuthOptions { Registration = { MaxClients = 3 } }));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await store.TryAddAsync(Client("used-" + i), default));
            await store.MarkUsedAsync("used-" + i, default);
        }

        // Full of clients with grants: every newcomer is refused, however many arrive at once.
        var added = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(async () => await store.TryAddAsync(Client("new-" + i), default))));

        Assert.DoesNotContain(true, added);
        for (var i = 0; i < 50; i++)
        {
            Assert.Null(await store.FindAsync("new-" + i, default));
        }
    }

    [Fact]
    public async Task AFlowChangesTheClientAsLastSeenWithoutReadingItAgain_AndLosesNoChangeMadeElsewhere()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var shared = CreateStorage(clock);
        var storage = new CountingStorage(shared);
        var options = Options.Create(new McpOAuthOptions());
        var store = new ClientStore(storage, options, clock);
        Assert.True(await store.TryAddAsync(Client("app"), default));
        Assert.NotNull(await store.FindAsync("app", default));   // each request reads its client first
        var gets = storage.Gets;

        // The authorization request keeps it while the user decides; the code marks it used.
        await store.KeepWhileAuthorizingAsync("app", clock.GetUtcNow().AddMinutes(10), default);
        await store.MarkUsedAsync("app", default);
        Assert.Equal(gets, storage.Gets);
        Assert.Equal(2, storage.Replaces);

        // Another instance marks it used meanwhile: what this one last saw is stale, so its swap fails, it reads the
        // client again and applies its change on top of the other's.
        clock.Advance(TimeSpan.FromHours(2));
        await new ClientStore(shared, options, clock).MarkUsedAsync("app", default);
        var keptUntil = clock.GetUtcNow().AddMinutes(10);
        await store.KeepWhileAuthorizingAsync("app", keptUntil, default);

        Assert.Equal(gets + 1, storage.Gets);
        Assert.Equal(4, storage.Replaces);
        var stored = McpSseAuth.Storage.StoredJson.Decode<StoredClient>(ClientJson.Default, (await shared.GetAsync(McpSseAuth.Storage.StoredJson.Key("client", "app"), default))!.Value);
        Assert.Equal(clock.GetUtcNow(), stored.LastUsedAt);
        Assert.True(stored.AuthorizingUntil >= keptUntil);
    }

    [Fact]
    public async Task Registrations_CountTheStoredClientsAtMostOncePerRefreshInterval()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var storage = new CountingStorage(CreateStorage(clock));
        var store = new ClientStore(storage, Options.Create(new McpOAuthOptions { Registration = { MaxClients = 1000 } }), clock);
        for (var i = 0; i < 20; i++)
        {
            Assert.True(await store.TryAddAsync(Client("c-" + i), default));
        }

        // A count can scan every client: one for the twenty registrations, then one per interval.
        Assert.Equal(1, storage.Counts);
        clock.Advance(ClientCount.RefreshInterval);
        Assert.True(await store.TryAddAsync(Client("later"), default));
        Assert.Equal(2, storage.Counts);
    }

    [Fact]
    public async Task Store_FilledBetweenTwoCounts_StillKeepsItsBound()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var store = new ClientStore(CreateStorage(clock), Options.Create(new McpOAuthOptions { Registration = { MaxClients = 3 } }), clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await store.TryAddAsync(Client("used-" + i, i), default));
            await store.MarkUsedAsync("used-" + i, default);
        }

        // No new count was read since the first registration: this instance's own registrations fill the store.
        Assert.False(await store.TryAddAsync(Client("one-too-many", 10), default));
        Assert.Null(await store.FindAsync("one-too-many", default));
    }

    [Fact]
    public async Task Store_FilledWhileACountIsRead_CountsTheRegistrationsThatFinishedMeanwhile()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var storage = new CountingStorage(CreateStorage(clock));
        var slowCount = new TaskCompletionSource();
        storage.CountAnsweredAfter = slowCount.Task;
        var store = new ClientStore(storage, Options.Create(new McpOAuthOptions { Registration = { MaxClients = 3 } }), clock);

        // The first registration reads the count (none yet) and waits for the answer; two others are stored meanwhile.
        var first = store.TryAddAsync(Client("first"), default).AsTask();
        Assert.Equal(1, storage.Counts);
        await storage.CountRead;   // read (none): the two below are stored after it, while its answer is still on its way
        Assert.True(await store.TryAddAsync(Client("second", 1), default));
        Assert.True(await store.TryAddAsync(Client("third", 2), default));
        slowCount.SetResult();
        Assert.True(await first);
        foreach (var id in new[] { "first", "second", "third" })
        {
            await store.MarkUsedAsync(id, default);
        }

        // The count that came back (none) is older than the two stored meanwhile: they still count, so the store is full.
        Assert.False(await store.TryAddAsync(Client("one-too-many", 10), default));
        Assert.Equal(3, await storage.CountAsync("clients", default));
    }

    [Fact]
    public async Task Store_WhenFull_EvictsTheOldestUnusedClient()
    {
        var store = new ClientStore(CreateStorage(TimeProvider.System), Options.Create(new McpOAuthOptions { Registration = { MaxClients = 2 } }));
        await store.TryAddAsync(Client("older", 1), default);
        await store.TryAddAsync(Client("newer", 2), default);

        Assert.True(await store.TryAddAsync(Client("newest", 3), default));

        Assert.Null(await store.FindAsync("older", default));
        Assert.NotNull(await store.FindAsync("newer", default));
        Assert.NotNull(await store.FindAsync("newest", default));
    }

    [Fact]
    public async Task Store_AtTheBound_EvictsOldestFirstWithoutListingEveryClientPerRegistration()
    {
        // Before: each registration at the bound listed and decoded every client (46 registrations/s at 10,000 clients).
        var storage = new CountingStorage(CreateStorage(TimeProvider.System));
        var store = new ClientStore(storage, Options.Create(new McpOAuthOptions { Registration = { MaxClients = 200 } }));
        for (var i = 0; i < 200; i++)
        {
            Assert.True(await store.TryAddAsync(Client($"old-{i:D3}", i), default));
        }

        await store.MarkUsedAsync("old-000", default);

        // 150 newcomers at once: each evicts one unused client, the oldest first, never the one with a grant.
        var added = await Task.WhenAll(Enumerable.Range(0, 150).Select(i => Task.Run(async () => await store.TryAddAsync(Client($"new-{i:D3}", 1000 + i), default))));

        Assert.All(added, Assert.True);
        Assert.Equal(0, storage.Lists);
        Assert.NotNull(await store.FindAsync("old-000", default));
        Assert.All(Enumerable.Range(1, 150), i => Assert.Null(store.FindAsync($"old-{i:D3}", default).AsTask().Result));
        Assert.All(Enumerable.Range(151, 49), i => Assert.NotNull(store.FindAsync($"old-{i:D3}", default).AsTask().Result));
    }

    [Fact]
    public async Task Store_AtTheBound_OfClientsAnotherInstanceRegistered_ListsThemOnceAndEvictsOldestFirst()
    {
        var storage = CreateStorage(TimeProvider.System);
        var other = new ClientStore(storage, Options.Create(new McpOAuthOptions { Registration = { MaxClients = 100 } }));
        for (var i = 0; i < 100; i++)
        {
            Assert.True(await other.TryAddAsync(Client($"theirs-{i:D3}", i), default));
        }

        // This instance has registered none of them: one listing fills its queue, then every newcomer evicts one.
        var counting = new CountingStorage(storage);
        var store = new ClientStore(counting, Options.Create(new McpOAuthOptions { Registration = { MaxClients = 100 } }));
        for (var i = 0; i < 60; i++)
        {
            Assert.True(await store.TryAddAsync(Client($"mine-{i:D3}", 1000 + i), default));
        }

        Assert.Equal(1, counting.Lists);
        Assert.Null(await store.FindAsync("theirs-059", default));
        Assert.NotNull(await store.FindAsync("theirs-060", default));
    }

    [Fact]
    public async Task Sweep_RemovesAClientThatGotNoGrantWithinItsLifetime_WhenRegistrationsArrive()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var store = new ClientStore(CreateStorage(clock), Options.Create(new McpOAuthOptions { Registration = { UnusedClientLifetime = TimeSpan.FromDays(7) } }), clock);
        await store.TryAddAsync(Client("idle"), default);

        clock.Advance(TimeSpan.FromDays(6));
        await store.TryAddAsync(Client("trigger-1", 6 * 86400), default);
        Assert.NotNull(await store.FindAsync("idle", default));

        clock.Advance(TimeSpan.FromDays(2));
        await store.TryAddAsync(Client("trigger-2", 8 * 86400), default);
        Assert.Null(await store.FindAsync("idle", default));
        Assert.NotNull(await store.FindAsync("trigger-1", default));
    }

    [Fact]
    public async Task Store_CountingClientsThatExpiredButLinger_EvictsNoLiveOne()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var store = new ClientStore(CreateStorage(clock), Options.Create(new McpOAuthOptions { Registration = { MaxClients = 2, UnusedClientLifetime = TimeSpan.FromDays(7) } }), clock);
        await store.TryAddAsync(Client("expired"), default);
        clock.Advance(TimeSpan.FromDays(8));
        Assert.True(await store.TryAddAsync(Client("live", 8 * 86400), default));

        // A storage may still count the expired one; the live one must not make room for the newcomer.
        Assert.True(await store.TryAddAsync(Client("newcomer", 8 * 86400 + 1), default));
        Assert.NotNull(await store.FindAsync("live", default));
        Assert.NotNull(await store.FindAsync("newcomer", default));
        Assert.Null(await store.FindAsync("expired", default));
    }

    [Fact]
    public async Task Sweep_NeverRemovesAClientWhoseGrantCanStillBeLive()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var store = new ClientStore(CreateStorage(clock), Options.Create(new McpOAuthOptions { Registration = { UnusedClientLifetime = TimeSpan.FromDays(7) }, Tokens = { RefreshTokenLifetime = TimeSpan.FromDays(30) } }), clock);
        await store.TryAddAsync(Client("used"), default);
        await store.MarkUsedAsync("used", default);

        // 29 days after its last token its refresh token may still be live.
        clock.Advance(TimeSpan.FromDays(29));
        await store.TryAddAsync(Client("trigger-1", 29 * 86400), default);
        Assert.NotNull(await store.FindAsync("used", default));

        // A refresh then marks it again: another 30 days.
        await store.MarkUsedAsync("used", default);
        clock.Advance(TimeSpan.FromDays(29));
        await store.TryAddAsync(Client("trigger-2", 58 * 86400), default);
        Assert.NotNull(await store.FindAsync("used", default));

        // Gone once its refresh token cannot be live, and the unused lifetime more (an expired token is told invalid_grant).
        clock.Advance(TimeSpan.FromDays(7));
        Assert.NotNull(await store.FindAsync("used", default));
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await store.TryAddAsync(Client("trigger-3", 66 * 86400), default);
        Assert.Null(await store.FindAsync("used", default));
    }

    [Fact]
    public async Task ClientOnTheConsentPage_IsKeptUntilTheRequestExpires_ButDoesNotCountAsUsed()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start);
        var store = new ClientStore(CreateStorage(clock), Options.Create(new McpOAuthOptions { Registration = { MaxClients = 2, UnusedClientLifetime = TimeSpan.FromDays(7) } }), clock);
        await store.TryAddAsync(Client("authorizing"), default);
        await store.TryAddAsync(Client("idle", 1), default);
        await store.KeepWhileAuthorizingAsync("authorizing", Start.AddMinutes(10), default);

        // Full: the idle one makes room, though older ones would go first.
        Assert.True(await store.TryAddAsync(Client("newcomer", 2), default));
        Assert.NotNull(await store.FindAsync("authorizing", default));
        Assert.Null(await store.FindAsync("idle", default));

        // Once the request has expired it is an unused client like any other.
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.True(await store.TryAddAsync(Client("another", 3), default));
        Assert.Null(await store.FindAsync("authorizing", default));
    }
}
