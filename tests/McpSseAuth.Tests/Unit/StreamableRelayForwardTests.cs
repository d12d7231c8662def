using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using McpSseAuth.Sessions;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The receiving side of <see cref="StreamableRelay"/> against a holder played by the test over a bus in memory, on a
/// clock the test moves: what it waits for, and for how long.
/// </summary>
public sealed class StreamableRelayForwardTests
{
    [Fact]
    public async Task AHolderThatPingsBeforeItsResponseStarts_IsWaitedFor_PastTheAnswerTimeout()
    {
        await using var receiver = await Receiver.StartAsync();
        var (request, forwarding, response) = await receiver.ForwardAsync();

        // The holder serves the request and pings, its response not started, past the time a silent holder gets. The clock
        // moves only once the receiver waits for the next frame (its waits are timers on the clock).
        var waits = 1;
        await receiver.Clock.WaitsAsync(waits);
        for (var elapsed = TimeSpan.Zero; elapsed <= StreamableRelay.AnswerTimeout * 2; elapsed += RelayResponseStream.PingInterval / 2)
        {
            await receiver.FromHolderAsync(new StreamFrame { Id = request.Id, Kind = StreamFrameKind.Ping });
            await receiver.Clock.WaitsAsync(++waits);
            receiver.Clock.Advance(RelayResponseStream.PingInterval / 2);
            Assert.False(forwarding.IsCompleted, $"answered at {elapsed} while the holder still served the request: {response.StatusCode}");
        }

        await receiver.FromHolderAsync(new StreamFrame
        {
            Id = request.Id,
            Kind = StreamFrameKind.Head,
            Status = StatusCodes.Status200OK,
            Headers = new() { ["Content-Type"] = ["application/json"] },
            Body = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""),
            Last = true,
        });
        await forwarding.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((StatusCodes.Status200OK, "application/json"), (response.StatusCode, response.ContentType));
        Assert.Equal("""{"jsonrpc":"2.0","id":1,"result":{}}""", Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray()));
    }

    [Fact]
    public async Task AHolderThatSaysNothing_Gets404_AtTheAnswerTimeout()
    {
        await using var receiver = await Receiver.StartAsync();
        var (_, forwarding, response) = await receiver.ForwardAsync();
        await receiver.Clock.WaitsAsync(1);

        receiver.Clock.Advance(StreamableRelay.AnswerTimeout - TimeSpan.FromSeconds(1));
        Assert.False(forwarding.IsCompleted);
        receiver.Clock.Advance(TimeSpan.FromSeconds(1));
        await forwarding.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(StatusCodes.Status404NotFound, response.StatusCode);
        Assert.Contains("does not answer", Encoding.UTF8.GetString(((MemoryStream)response.Body).ToArray()), StringComparison.Ordinal);
    }

    /// <summary>The instance that received a request (<c>receiver</c>), its relay started, and the holder (<c>holder</c>) the test plays.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly MemoryBus _bus = new();
        private ServiceProvider _provider = null!;
        private StreamableRelay _relay = null!;

        public WaitsClock Clock { get; } = new();

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton<TimeProvider>(receiver.Clock);
            services.AddSingleton<IMcpOAuthBus>(receiver._bus);
            services.AddMcpOAuth(o => o.AddUser("alice", "alice"));
            receiver._provider = services.BuildServiceProvider();
            receiver._relay = receiver._provider.GetRequiredService<StreamableRelay>();
            await ((IHostedService)receiver._relay).StartAsync(CancellationToken.None);
            return receiver;
        }

        /// <summary>Hands a POST to the holder; returns the request as the holder got it, the forwarding, and the client's response.</summary>
        public async Task<(StreamFrame Request, Task Forwarding, HttpResponse Response)> ForwardAsync()
        {
            var handed = new TaskCompletionSource<StreamFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
            await _bus.SubscribeAsync("mcp:holder", payload =>
            {
                handed.TrySetResult(JsonSerializer.Deserialize(payload.Span, RelayJsonContext.Default.StreamFrame)!);
                return ValueTask.CompletedTask;
            }, CancellationToken.None);
            var context = new DefaultHttpContext();
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = "/mcp";
            context.Response.Body = new MemoryStream();
            var forwarding = _relay.ForwardAsync(context, new SessionHolder("holder", "alice", "client", McpSessionTransport.StreamableHttp), "s1", Encoding.UTF8.GetBytes("{}"), "mcp:tools");
            return (await handed.Task.WaitAsync(TimeSpan.FromSeconds(10)), forwarding, context.Response);
        }

        /// <summary>A frame from the holder to the receiver.</summary>
        public ValueTask FromHolderAsync(StreamFrame frame)
            => _bus.PublishAsync("mcp:receiver", JsonSerializer.SerializeToUtf8Bytes(frame, RelayJsonContext.Default.StreamFrame), CancellationToken.None);

        public async ValueTask DisposeAsync()
        {
            await ((IHostedService)_relay).StopAsync(CancellationToken.None);
            await _provider.DisposeAsync();
        }
    }

    /// <summary>A clock the test moves, which tells when the relay waits for a frame (a timer of the answer or silence timeout).</summary>
    private sealed class WaitsClock() : FakeTimeProvider(DateTimeOffset.UtcNow)
    {
        private readonly SemaphoreSlim _waits = new(0);
        private int _counted;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == StreamableRelay.AnswerTimeout || dueTime == StreamableRelay.SilenceTimeout)
            {
                _waits.Release();
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }

        /// <summary>Completes once the relay has begun its <paramref name="count"/>th wait.</summary>
        public async Task WaitsAsync(int count)
        {
            while (_counted < count)
            {
                Assert.True(await _waits.WaitAsync(TimeSpan.FromSeconds(10)), $"the relay never began wait {count}");
                _counted++;
            }
        }
    }

    /// <summary>A bus in memory between "instances" of one test: this process is <c>receiver</c>; a message goes to its channel's subscriber at once.</summary>
    private sealed class MemoryBus : IMcpOAuthBus
    {
        private readonly ConcurrentDictionary<string, Func<ReadOnlyMemory<byte>, ValueTask>> _subscribers = new(StringComparer.Ordinal);

        public string InstanceId => "receiver";

        public async ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        {
            if (_subscribers.TryGetValue(channel, out var subscriber))
            {
                await subscriber(message.ToArray());
            }
        }

        public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler, CancellationToken cancellationToken)
        {
            _subscribers[channel] = handler;
            return ValueTask.FromResult<IAsyncDisposable>(new Unsubscribe(() => _subscribers.TryRemove(channel, out _)));
        }

        private sealed class Unsubscribe(Action remove) : IAsyncDisposable
        {
            public ValueTask DisposeAsync()
            {
                remove();
                return ValueTask.CompletedTask;
            }
        }
    }
}
