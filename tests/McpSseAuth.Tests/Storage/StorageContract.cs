using System.Text;
using McpSseAuth.Storage;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Storage;

/// <summary>The in-memory storage keeps the contract.</summary>
public sealed class InMemoryStorageTests : StorageContract
{
    protected override IMcpOAuthStorage Create(TimeProvider time) => new InMemoryOAuthStorage(time);
}

/// <summary>
/// What every <see cref="IMcpOAuthStorage"/> must do: expiry on the injected clock, add-if-absent, compare-and-swap,
/// single-use takes that exactly one of many racing callers wins (also through a second client of the same backend), and
/// partitions. Each backend runs it by deriving a class. Keys are unique per test, so a shared backend needs no cleaning.
/// </summary>
public abstract class StorageContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..12] + ":";

    protected FakeTimeProvider Time { get; } = new(Start);

    protected IMcpOAuthStorage Storage { get; private set; } = null!;

    /// <summary>A storage of the backend under test, on <paramref name="time"/>.</summary>
    protected abstract IMcpOAuthStorage Create(TimeProvider time);

    /// <summary>A second client of the same backend (another instance of the server); memory has only the one.</summary>
    protected virtual IMcpOAuthStorage CreateAnother(TimeProvider time) => Storage;

    public virtual Task InitializeAsync()
    {
        Storage = Create(Time);
        return Task.CompletedTask;
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private string Key(string name) => _prefix + name;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(McpStoredEntry? entry) => entry is null ? "<none>" : Encoding.UTF8.GetString(entry.Value.Span);

    [Fact]
    public async Task A_missing_key_is_not_found_by_any_operation()
    {
        var key = Key("missing");
        Assert.Null(await Storage.GetAsync(key, default));
        Assert.False(await Storage.RemoveAsync(key, default));
        Assert.False(await Storage.TryReplaceAsync(key, Bytes("a"), Bytes("b"), Start.AddHours(1), default));
        Assert.Equal(McpTakeStatus.NotFound, (await Storage.TryTakeAsync(key, Bytes("r"), Start.AddHours(1), Start, default)).Status);
        Assert.Empty(await Storage.ListAsync(Key("no-partition"), default));
        Assert.Equal(0, await Storage.CountAsync(Key("no-partition"), default));
    }

    [Fact]
    public async Task Add_keeps_the_first_value_and_refuses_a_second_while_it_lives()
    {
        var key = Key("add");
        Assert.True(await Storage.TryAddAsync(key, Bytes("first"), Start.AddMinutes(10), null, default));
        Assert.False(await Storage.TryAddAsync(key, Bytes("second"), Start.AddMinutes(10), null, default));

        var entry = await Storage.GetAsync(key, default);
        Assert.Equal("first", Text(entry));
        Assert.Equal(Start.AddMinutes(10), entry!.ExpiresAt);
        Assert.Null(entry.TakenAt);
    }

    [Fact]
    public async Task An_expired_entry_is_gone_on_the_injected_clock_and_its_key_can_be_added_again()
    {
        var key = Key("expiring");
        await Storage.TryAddAsync(key, Bytes("old"), Start.AddMinutes(1), null, default);
        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("old", Text(await Storage.GetAsync(key, default)));

        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await Storage.GetAsync(key, default));
        Assert.Equal(McpTakeStatus.NotFound, (await Storage.TryTakeAsync(key, Bytes("r"), Start.AddHours(1), Time.GetUtcNow(), default)).Status);
        Assert.False(await Storage.TryReplaceAsync(key, Bytes("old"), Bytes("new"), Start.AddHours(1), default));
        Assert.True(await Storage.TryAddAsync(key, Bytes("new"), Start.AddHours(1), null, default));
        Assert.Equal("new", Text(await Storage.GetAsync(key, default)));
    }

    [Fact]
    public async Task An_entry_that_never_expires_outlives_any_clock()
    {
        var key = Key("forever");
        await Storage.SetAsync(key, Bytes("kept"), DateTimeOffset.MaxValue, null, default);
        Time.Advance(TimeSpan.FromDays(365 * 50));
        var entry = await Storage.GetAsync(key, default);
        Assert.Equal("kept", Text(entry));
        Assert.Equal(DateTimeOffset.MaxValue, entry!.ExpiresAt);
    }

    [Fact]
    public async Task Values_are_kept_byte_for_byte()
    {
        var key = Key("binary");
        var value = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0, 255 }).ToArray();
        await Storage.SetAsync(key, value, Start.AddHours(1), null, default);
        Assert.Equal(value, (await Storage.GetAsync(key, default))!.Value.ToArray());
    }

    [Fact]
    public async Task Set_overwrites_and_makes_a_taken_entry_untaken()
    {
        var key = Key("set");
        await Storage.SetAsync(key, Bytes("one"), Start.AddHours(1), null, default);
        await Storage.TryTakeAsync(key, Bytes("rest"), Start.AddHours(1), Start, default);
        await Storage.SetAsync(key, Bytes("two"), Start.AddHours(2), null, default);

        var entry = await Storage.GetAsync(key, default);
        Assert.Equal("two", Text(entry));
        Assert.Equal(Start.AddHours(2), entry!.ExpiresAt);
        Assert.Null(entry.TakenAt);
    }

    [Fact]
    public async Task Replace_swaps_only_from_the_expected_value_and_keeps_the_taken_mark()
    {
        var key = Key("cas");
        await Storage.SetAsync(key, Bytes("v1"), Start.AddHours(1), null, default);
        Assert.False(await Storage.TryReplaceAsync(key, Bytes("v0"), Bytes("v2"), Start.AddHours(2), default));
        Assert.Equal("v1", Text(await Storage.GetAsync(key, default)));

        Assert.True(await Storage.TryReplaceAsync(key, Bytes("v1"), Bytes("v2"), Start.AddHours(2), default));
        var entry = await Storage.GetAsync(key, default);
        Assert.Equal("v2", Text(entry));
        Assert.Equal(Start.AddHours(2), entry!.ExpiresAt);
        Assert.False(await Storage.TryReplaceAsync(key, Bytes("v1"), Bytes("v3"), Start.AddHours(2), default));

        var taken = Start.AddMinutes(5);
        await Storage.TryTakeAsync(key, Bytes("rest"), Start.AddHours(3), taken, default);
        Assert.True(await Storage.TryReplaceAsync(key, Bytes("rest"), Bytes("rest+"), Start.AddHours(3), default));
        entry = await Storage.GetAsync(key, default);
        Assert.Equal("rest+", Text(entry));
        Assert.Equal(taken, entry!.TakenAt);
    }

    [Fact]
    public async Task Concurrent_swaps_from_one_value_let_exactly_one_win()
    {
        var key = Key("cas-race");
        await Storage.SetAsync(key, Bytes("base"), Start.AddHours(1), null, default);
        var other = CreateAnother(Time);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            (i % 2 == 0 ? Storage : other).TryReplaceAsync(key, Bytes("base"), Bytes("w" + i), Start.AddHours(1), default).AsTask()));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task Take_returns_the_value_once_then_the_remainder_and_when_it_was_taken()
    {
        var key = Key("take");
        await Storage.TryAddAsync(key, Bytes("code"), Start.AddMinutes(10), null, default);

        var takenAt = Start.AddMinutes(1);
        Time.Advance(TimeSpan.FromMinutes(1));
        var first = await Storage.TryTakeAsync(key, Bytes("tombstone"), Start.AddDays(1), takenAt, default);
        Assert.Equal(McpTakeStatus.Taken, first.Status);
        Assert.Equal("code", Text(first.Entry));
        Assert.Equal(Start.AddMinutes(10), first.Entry!.ExpiresAt);
        Assert.Equal(takenAt, first.Entry.TakenAt);

        var second = await Storage.TryTakeAsync(key, Bytes("other"), Start.AddDays(2), Start.AddMinutes(2), default);
        Assert.Equal(McpTakeStatus.AlreadyTaken, second.Status);
        Assert.Equal("tombstone", Text(second.Entry));
        Assert.Equal(takenAt, second.Entry!.TakenAt);

        var read = await Storage.GetAsync(key, default);
        Assert.Equal("tombstone", Text(read));
        Assert.Equal(Start.AddDays(1), read!.ExpiresAt);
        Assert.Equal(takenAt, read.TakenAt);

        // The remainder lives until keepUntil, then the key is unknown.
        Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(McpTakeStatus.NotFound, (await Storage.TryTakeAsync(key, Bytes("r"), Start.AddDays(3), Time.GetUtcNow(), default)).Status);
    }

    [Fact]
    public async Task Concurrent_takes_through_two_clients_are_won_exactly_once()
    {
        var other = CreateAnother(Time);
        for (var round = 0; round < 5; round++)
        {
            var key = Key("race" + round);
            await Storage.TryAddAsync(key, Bytes("code"), Start.AddMinutes(10), null, default);
            using var go = new ManualResetEventSlim();
            var takes = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            {
                go.Wait();
                return await (i % 2 == 0 ? Storage : other).TryTakeAsync(key, Bytes("spent"), Start.AddDays(1), Start, default);
            })).ToArray();
            go.Set();
            var results = await Task.WhenAll(takes);

            Assert.Single(results, r => r.Status == McpTakeStatus.Taken);
            Assert.Equal(15, results.Count(r => r.Status == McpTakeStatus.AlreadyTaken && Text(r.Entry) == "spent"));
        }
    }

    [Fact]
    public async Task Remove_deletes_a_live_entry_once()
    {
        var key = Key("remove");
        await Storage.SetAsync(key, Bytes("x"), Start.AddHours(1), Key("p"), default);
        Assert.True(await Storage.RemoveAsync(key, default));
        Assert.False(await Storage.RemoveAsync(key, default));
        Assert.Null(await Storage.GetAsync(key, default));
        Assert.Empty(await Storage.ListAsync(Key("p"), default));
    }

    [Fact]
    public async Task A_partition_lists_its_live_entries_only()
    {
        var alice = Key("alice");
        var bob = Key("bob");
        await Storage.SetAsync(Key("a1"), Bytes("one"), Start.AddHours(1), alice, default);
        await Storage.TryAddAsync(Key("a2"), Bytes("two"), Start.AddHours(3), alice, default);
        await Storage.SetAsync(Key("a3"), Bytes("three"), DateTimeOffset.MaxValue, alice, default);
        await Storage.SetAsync(Key("b1"), Bytes("bob's"), Start.AddHours(1), bob, default);
        await Storage.SetAsync(Key("loose"), Bytes("none"), Start.AddHours(1), null, default);

        var listed = await Storage.ListAsync(alice, default);
        Assert.Equal(["one", "three", "two"], listed.Select(p => Text(p.Value)).Order(StringComparer.Ordinal));
        Assert.Equal([Key("a1"), Key("a2"), Key("a3")], listed.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(3, await Storage.CountAsync(alice, default));

        Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(["three", "two"], (await Storage.ListAsync(alice, default)).Select(p => Text(p.Value)).Order(StringComparer.Ordinal));
        Assert.Empty(await Storage.ListAsync(bob, default));

        await Storage.RemoveAsync(Key("a2"), default);
        Assert.Equal(["three"], (await Storage.ListAsync(alice, default)).Select(p => Text(p.Value)));
    }

    [Fact]
    public async Task Setting_an_entry_into_another_partition_moves_it()
    {
        await Storage.SetAsync(Key("moving"), Bytes("x"), Start.AddHours(1), Key("from"), default);
        await Storage.SetAsync(Key("moving"), Bytes("y"), Start.AddHours(1), Key("to"), default);
        Assert.Empty(await Storage.ListAsync(Key("from"), default));
        Assert.Equal(["y"], (await Storage.ListAsync(Key("to"), default)).Select(p => Text(p.Value)));

        await Storage.SetAsync(Key("moving"), Bytes("z"), Start.AddHours(1), null, default);
        Assert.Empty(await Storage.ListAsync(Key("to"), default));
        Assert.Equal("z", Text(await Storage.GetAsync(Key("moving"), default)));
    }

    [Fact]
    public async Task Replace_and_take_keep_the_entry_in_its_partition()
    {
        var partition = Key("kept");
        await Storage.SetAsync(Key("k"), Bytes("v1"), Start.AddHours(1), partition, default);
        await Storage.TryReplaceAsync(Key("k"), Bytes("v1"), Bytes("v2"), Start.AddHours(1), default);
        Assert.Equal(["v2"], (await Storage.ListAsync(partition, default)).Select(p => Text(p.Value)));
        await Storage.TryTakeAsync(Key("k"), Bytes("rest"), Start.AddHours(1), Start, default);
        var listed = Assert.Single(await Storage.ListAsync(partition, default));
        Assert.Equal("rest", Text(listed.Value));
        Assert.Equal(Start, listed.Value.TakenAt);
    }

    [Fact]
    public async Task Two_clients_of_one_backend_see_each_others_writes()
    {
        var other = CreateAnother(Time);
        await Storage.SetAsync(Key("shared"), Bytes("from one"), Start.AddHours(1), Key("sp"), default);
        Assert.Equal("from one", Text(await other.GetAsync(Key("shared"), default)));
        Assert.Single(await other.ListAsync(Key("sp"), default));
        Assert.False(await other.TryAddAsync(Key("shared"), Bytes("from two"), Start.AddHours(1), null, default));
    }
}
