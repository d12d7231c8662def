using System.Text;
using McpSseAuth.Redis;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using StackExchange.Redis;

namespace McpSseAuth.Tests.Storage;

/// <summary>
/// The Redis storage keeps the contract against a real redis-server, with a second multiplexer as the other instance; and
/// what only Redis has: physical expiry after the logical one, partition sets that outlive their members, tick precision.
/// </summary>
public sealed class RedisStorageTests(RedisServer redis) : StorageContract, IClassFixture<RedisServer>
{
    private static readonly DateTimeOffset Start = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _prefix = "contract-" + Guid.NewGuid().ToString("N")[..8] + ":";
    private readonly List<ConnectionMultiplexer> _connections = [];

    protected override IMcpOAuthStorage Create(TimeProvider time) => new RedisOAuthStorage(Connect(), _prefix, time);

    protected override IMcpOAuthStorage CreateAnother(TimeProvider time) => new RedisOAuthStorage(Connect(), _prefix, time);

    public override async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private ConnectionMultiplexer Connect()
    {
        var connection = ConnectionMultiplexer.Connect(RedisConnection.Options(redis.ConnectionString));
        _connections.Add(connection);
        return connection;
    }

    private IDatabase Raw => _connections[0].GetDatabase();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Redis_deletes_an_entry_a_grace_after_its_expiry_on_the_injected_clock()
    {
        await Storage.SetAsync("ttl", Bytes("x"), Start.AddMinutes(10), null, default);
        var ttl = await Raw.KeyTimeToLiveAsync(_prefix + "e:ttl");

        // Relative to the fake clock (2031), not Redis's: ten minutes of life plus one of grace.
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(11));
    }

    [Fact]
    public async Task An_entry_that_never_expires_has_no_ttl_in_redis_and_neither_has_its_partition()
    {
        await Storage.SetAsync("short", Bytes("x"), Start.AddMinutes(5), "forever-p", default);
        Assert.NotNull(await Raw.KeyTimeToLiveAsync(_prefix + "p:forever-p"));

        await Storage.SetAsync("forever", Bytes("x"), DateTimeOffset.MaxValue, "forever-p", default);
        Assert.Null(await Raw.KeyTimeToLiveAsync(_prefix + "e:forever"));
        Assert.Null(await Raw.KeyTimeToLiveAsync(_prefix + "p:forever-p"));

        // A shorter member later does not give the set an expiry back.
        await Storage.SetAsync("short2", Bytes("x"), Start.AddMinutes(1), "forever-p", default);
        Assert.Null(await Raw.KeyTimeToLiveAsync(_prefix + "p:forever-p"));
    }

    [Fact]
    public async Task A_partition_set_lives_as_long_as_its_longest_member()
    {
        await Storage.SetAsync("long", Bytes("x"), Start.AddHours(5), "span", default);
        await Storage.SetAsync("brief", Bytes("x"), Start.AddHours(1), "span", default);
        Assert.InRange((await Raw.KeyTimeToLiveAsync(_prefix + "p:span"))!.Value, TimeSpan.FromHours(5), TimeSpan.FromHours(5) + TimeSpan.FromMinutes(1));

        // A take that keeps its remainder longer extends the set too.
        await Storage.TryTakeAsync("brief", Bytes("rest"), Start.AddHours(8), Start, default);
        Assert.InRange((await Raw.KeyTimeToLiveAsync(_prefix + "p:span"))!.Value, TimeSpan.FromHours(8), TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_member_whose_entry_redis_already_deleted_is_dropped_from_the_list_and_the_count()
    {
        await Storage.SetAsync("kept", Bytes("k"), Start.AddHours(1), "gone-p", default);
        await Storage.SetAsync("evicted", Bytes("e"), Start.AddHours(1), "gone-p", default);
        Assert.Equal(2, await Storage.CountAsync("gone-p", default));

        await Raw.KeyDeleteAsync(_prefix + "e:evicted");   // as Redis's own expiry (or eviction) would
        var listed = Assert.Single(await Storage.ListAsync("gone-p", default));
        Assert.Equal("kept", listed.Key);
        Assert.Equal(1, await Storage.CountAsync("gone-p", default));
    }

    [Fact]
    public async Task Expiry_is_compared_to_the_tick()
    {
        var now = Time.GetUtcNow();
        await Storage.SetAsync("tick-live", Bytes("x"), now.AddTicks(1), null, default);
        await Storage.SetAsync("tick-dead", Bytes("x"), now, null, default);

        Assert.NotNull(await Storage.GetAsync("tick-live", default));
        Assert.Equal(McpTakeStatus.Taken, (await Storage.TryTakeAsync("tick-live", Bytes("r"), now.AddTicks(1), now, default)).Status);
        Assert.Null(await Storage.GetAsync("tick-dead", default));
        Assert.False(await Storage.TryReplaceAsync("tick-dead", Bytes("x"), Bytes("y"), now.AddHours(1), default));

        Time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await Storage.GetAsync("tick-live", default));
    }

    [Fact]
    public async Task Keys_live_under_the_prefix_only()
    {
        await Storage.SetAsync("mine", Bytes("x"), Start.AddHours(1), "mine-p", default);
        Assert.True(await Raw.KeyExistsAsync(_prefix + "e:mine"));
        Assert.True(await Raw.KeyExistsAsync(_prefix + "p:mine-p"));
        Assert.False(await Raw.KeyExistsAsync("mine"));
    }
}
