using McpSseAuth.Stores;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Unit;

public sealed class InMemoryClientStoreTests
{
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
        var store = new InMemoryClientStore(Options.Create(new McpOAuthOptions { MaxRegisteredClients = 3 }));
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
    public async Task Store_WhenFull_EvictsTheOldestUnusedClient()
    {
        var store = new InMemoryClientStore(Options.Create(new McpOAuthOptions { MaxRegisteredClients = 2 }));
        await store.TryAddAsync(Client("older", 1), default);
        await store.TryAddAsync(Client("newer", 2), default);

        Assert.True(await store.TryAddAsync(Client("newest", 3), default));

        Assert.Null(await store.FindAsync("older", default));
        Assert.NotNull(await store.FindAsync("newer", default));
        Assert.NotNull(await store.FindAsync("newest", default));
    }
}
