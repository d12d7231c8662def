using System.Diagnostics;
using System.Text;
using McpSseAuth.Redis;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace McpSseAuth.Tests.Storage;

/// <summary>
/// Redis going away and coming back: every operation fails fast with <see cref="McpStorageUnavailableException"/> (503),
/// the same storage object works again without being recreated, and nothing written before is lost. Owns its server.
/// </summary>
public sealed class RedisFaultTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    // Commands time out after 2 s; the bound is generous for a loaded machine, and only says "not hanging".
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly string _prefix = "faults-" + Guid.NewGuid().ToString("N")[..8] + ":";
    private readonly List<RedisConnection> _connections = [];

    public Task InitializeAsync() => redis.StartAsync();

    public async Task DisposeAsync()
    {
        await redis.StartAsync();   // the next test of the class starts from a running server
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    // As AddMcpOAuthRedis connects: lazily, never aborting, 2 s timeouts.
    private RedisOAuthStorage NewStorage()
    {
        var connection = RedisConnection.Create(RedisConnection.Options(redis.ConnectionString));
        _connections.Add(connection);
        return new RedisOAuthStorage(() => connection.Multiplexer, _prefix, _time);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(McpStoredEntry? entry) => entry is null ? "<none>" : Encoding.UTF8.GetString(entry.Value.Span);

    [Fact]
    public async Task Every_operation_fails_fast_as_unavailable_while_redis_is_down_and_works_again_after_with_nothing_lost()
    {
        var storage = NewStorage();
        await storage.SetAsync("kept", Bytes("value"), Start.AddHours(1), "p", default);
        await storage.TryAddAsync("listed", Bytes("other"), DateTimeOffset.MaxValue, "p", default);
        await storage.TryAddAsync("code", Bytes("code"), Start.AddHours(1), null, default);
        Assert.Equal(McpTakeStatus.Taken, (await storage.TryTakeAsync("code", Bytes("spent"), Start.AddDays(1), Start, default)).Status);

        await redis.StopAsync();
        Func<Task>[] operations =
        [
            () => storage.GetAsync("kept", default).AsTask(),
            () => storage.TryAddAsync("new", Bytes("x"), Start.AddHours(1), "p", default).AsTask(),
            () => storage.SetAsync("kept", Bytes("changed"), Start.AddHours(1), null, default).AsTask(),
            () => storage.TryReplaceAsync("kept", Bytes("value"), Bytes("changed"), Start.AddHours(1), default).AsTask(),
            () => storage.TryTakeAsync("code", Bytes("again"), Start.AddDays(1), Start, default).AsTask(),
            () => storage.RemoveAsync("kept", default).AsTask(),
            () => storage.ListAsync("p", default).AsTask(),
            () => storage.CountAsync("p", default).AsTask(),
        ];
        await Task.WhenAll(operations.Select(async (operation, i) =>
        {
            var clock = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<McpStorageUnavailableException>(operation);
            Assert.True(clock.Elapsed < FailFast, $"Operation {i} took {clock.Elapsed.TotalSeconds:0.0} s to fail.");
            Assert.Contains("Redis", e.Message, StringComparison.Ordinal);
            Assert.True(RedisFaults.IsUnavailable(e.InnerException!), $"Operation {i}: {e.InnerException}");
        }));

        await redis.StartAsync();
        var entry = await EventuallyAsync(() => storage.GetAsync("kept", default).AsTask());

        // Nothing written before the stop is lost, and nothing attempted during it happened.
        Assert.Equal("value", Text(entry));
        Assert.Equal(["kept", "listed"], (await storage.ListAsync("p", default)).Select(p => p.Key).Order(StringComparer.Ordinal));
        var take = await storage.TryTakeAsync("code", Bytes("again"), Start.AddDays(1), Start, default);
        Assert.Equal(McpTakeStatus.AlreadyTaken, take.Status);
        Assert.Equal("spent", Text(take.Entry));
        Assert.Null(await storage.GetAsync("new", default));
    }

    [Fact]
    public async Task A_storage_created_while_redis_is_down_works_once_redis_starts()
    {
        await redis.StopAsync();
        var storage = NewStorage();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<McpStorageUnavailableException>(() => storage.SetAsync("late", Bytes("x"), Start.AddHours(1), null, default).AsTask());
        Assert.True(clock.Elapsed < FailFast, $"The first operation took {clock.Elapsed.TotalSeconds:0.0} s to fail.");

        await redis.StartAsync();
        await EventuallyAsync(async () =>
        {
            await storage.SetAsync("late", Bytes("x"), Start.AddHours(1), null, default);
            return true;
        });
        Assert.Equal("x", Text(await storage.GetAsync("late", default)));
    }

    [Fact]
    public async Task The_bus_reports_a_subscription_it_could_not_make_and_keeps_none_behind()
    {
        var connection = RedisConnection.Create(RedisConnection.Options(redis.ConnectionString));
        _connections.Add(connection);
        var bus = new RedisOAuthBus(() => connection.Multiplexer, _prefix);
        var calls = 0;

        await redis.StopAsync();
        await Assert.ThrowsAsync<McpStorageUnavailableException>(() => bus.SubscribeAsync("down", _ =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.CompletedTask;
        }, default).AsTask());

        await redis.StartAsync();
        var received = new TaskCompletionSource();
        await using var subscription = await EventuallyAsync(() => bus.SubscribeAsync("down", _ =>
        {
            received.TrySetResult();
            return ValueTask.CompletedTask;
        }, default).AsTask());
        await bus.PublishAsync("down", Bytes("m"), default);
        await received.Task.WaitAsync(Patience);

        // The failed subscription's handler was taken back: it never saw the message.
        Assert.Equal(0, Volatile.Read(ref calls));
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> operation)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await operation();
            }
            catch (McpStorageUnavailableException) when (deadline.Elapsed < Patience)
            {
                await Task.Delay(100);
            }
        }
    }
}
