using System.Text;
using System.Threading.Channels;
using McpSseAuth.Redis;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using StackExchange.Redis;

namespace McpSseAuth.Tests.Storage;

/// <summary>
/// The Redis bus between two instances (two multiplexers on one server): every subscriber gets each message, the sender's
/// own included, and subscriptions come back by themselves after Redis restarts. Owns its server: one test restarts it.
/// </summary>
public sealed class RedisBusTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _prefix = "bus-" + Guid.NewGuid().ToString("N")[..8] + ":";
    private readonly List<ConnectionMultiplexer> _connections = [];

    public Task InitializeAsync() => redis.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private RedisOAuthBus NewInstance()
    {
        var connection = ConnectionMultiplexer.Connect(RedisConnection.Options(redis.ConnectionString));
        _connections.Add(connection);
        return new RedisOAuthBus(connection, _prefix);
    }

    private static Channel<string> Inbox() => Channel.CreateUnbounded<string>();

    private static Func<ReadOnlyMemory<byte>, ValueTask> Into(Channel<string> inbox) => message =>
    {
        inbox.Writer.TryWrite(Encoding.UTF8.GetString(message.Span));
        return ValueTask.CompletedTask;
    };

    private static async Task<string> NextAsync(Channel<string> inbox) => await inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience);

    [Fact]
    public async Task A_message_reaches_every_instance_the_senders_own_included()
    {
        var one = NewInstance();
        var two = NewInstance();
        Assert.NotEqual(one.InstanceId, two.InstanceId);
        var atOne = Inbox();
        var atTwo = Inbox();
        await using var s1 = await one.SubscribeAsync("revocations", Into(atOne), default);
        await using var s2 = await two.SubscribeAsync("revocations", Into(atTwo), default);

        await one.PublishAsync("revocations", Encoding.UTF8.GetBytes("grant-1"), default);
        Assert.Equal("grant-1", await NextAsync(atOne));
        Assert.Equal("grant-1", await NextAsync(atTwo));
    }

    [Fact]
    public async Task Channels_are_separate_and_messages_arrive_in_order_byte_for_byte()
    {
        var one = NewInstance();
        var two = NewInstance();
        var received = Channel.CreateUnbounded<byte[]>();
        var other = Inbox();
        await using var s1 = await two.SubscribeAsync("a", m => { received.Writer.TryWrite(m.ToArray()); return ValueTask.CompletedTask; }, default);
        await using var s2 = await two.SubscribeAsync("b", Into(other), default);

        byte[][] sent = [[0, 255, 0], [], [1, 2, 3], Encoding.UTF8.GetBytes("ä ☃"), .. Enumerable.Range(0, 200).Select(i => Encoding.UTF8.GetBytes("n" + i))];
        foreach (var message in sent)
        {
            await one.PublishAsync("a", message, default);
        }

        await one.PublishAsync("b", Encoding.UTF8.GetBytes("on b"), default);
        Assert.Equal("on b", await NextAsync(other));
        foreach (var message in sent)
        {
            Assert.Equal(message, await received.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        }

        Assert.False(other.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_handler_that_throws_loses_that_message_only()
    {
        var bus = NewInstance();
        var inbox = Inbox();
        await using var subscription = await bus.SubscribeAsync("faulty", message =>
        {
            var text = Encoding.UTF8.GetString(message.Span);
            if (text == "bad")
            {
                throw new InvalidOperationException("handler failure");
            }

            inbox.Writer.TryWrite(text);
            return ValueTask.CompletedTask;
        }, default);

        await bus.PublishAsync("faulty", Encoding.UTF8.GetBytes("bad"), default);
        await bus.PublishAsync("faulty", Encoding.UTF8.GetBytes("good"), default);
        Assert.Equal("good", await NextAsync(inbox));
    }

    [Fact]
    public async Task A_disposed_subscription_gets_nothing_more_while_others_on_the_channel_do()
    {
        var bus = NewInstance();
        var ended = Inbox();
        var kept = Inbox();
        var subscription = await bus.SubscribeAsync("shared", Into(ended), default);
        await using var other = await bus.SubscribeAsync("shared", Into(kept), default);

        await bus.PublishAsync("shared", Encoding.UTF8.GetBytes("first"), default);
        Assert.Equal("first", await NextAsync(ended));
        Assert.Equal("first", await NextAsync(kept));

        await subscription.DisposeAsync();
        await bus.PublishAsync("shared", Encoding.UTF8.GetBytes("second"), default);
        Assert.Equal("second", await NextAsync(kept));

        // Both handlers hang off one connection, which had dispatched "second" to the kept one already.
        Assert.False(ended.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Subscriptions_come_back_after_redis_restarts()
    {
        var one = NewInstance();
        var two = NewInstance();
        var atOne = Inbox();
        var atTwo = Inbox();
        await using var s1 = await one.SubscribeAsync("restart", Into(atOne), default);
        await using var s2 = await two.SubscribeAsync("restart", Into(atTwo), default);

        await redis.StopAsync();
        await Assert.ThrowsAsync<McpStorageUnavailableException>(() => one.PublishAsync("restart", Encoding.UTF8.GetBytes("lost"), default).AsTask());
        await redis.StartAsync();

        // Pub/sub is at most once: publish until both instances have subscribed again and heard one.
        var deadline = DateTime.UtcNow + Patience;
        bool heardOne = false, heardTwo = false;
        while (!(heardOne && heardTwo))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not re-subscribed within {Patience.TotalSeconds} s (one: {heardOne}, two: {heardTwo}).");
            try
            {
                await one.PublishAsync("restart", Encoding.UTF8.GetBytes("back"), default);
            }
            catch (McpStorageUnavailableException)
            {
                // not reconnected yet
            }

            await Task.Delay(200);
            heardOne |= Drain(atOne);
            heardTwo |= Drain(atTwo);
        }
    }

    private static bool Drain(Channel<string> inbox)
    {
        var heard = false;
        while (inbox.Reader.TryRead(out var message))
        {
            Assert.Equal("back", message);
            heard = true;
        }

        return heard;
    }
}
