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
        var clock = new WaitsClock();
        var bus = new MemoryBus();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<IMcpOAuthBus>(bus);
        services.AddMcpOAuth(o => o.AddUser("alice", "alice"));
        await using var provider = services.BuildServiceProvider();
        var relay = provider.GetRequiredService<StreamableRelay>();
        await ((IHostedService)relay).StartAsync(CancellationToken.None);
        try
        {
            // The holder: notes the request it is handed.
            var handed = new TaskCompletionSource<StreamFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var holder = await bus.SubscribeAsync("mcp:holder", payload =>
            {
                handed.TrySetResult(JsonSerializer.Deserialize(payload.Span, RelayJsonContext.Default.StreamFrame)!);
                return ValueTask.CompletedTask;
            }, CancellationToken.None);

            var context = new DefaultHttpContext();
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = "/mcp";
            context.Response.Body = new MemoryStream();
            var forwarding = relay.ForwardAsync(context, new SessionHolder("holder", "alice", "client", McpSessionTransport.StreamableHttp), "s1", Encoding.UTF8.GetBytes("{}"), "mcp:tools");
            var request = await handed.Task.WaitAsync(TimeSpan.FromSeconds(10));

            // It serves the request and pings, its response not started, past the time a silent holder gets. The clock moves
            // only once the receiver waits for the next frame (its waits are timers on the clock).
            var waits = 1;
            await clock.WaitsAsync(waits);
            for (var elapsed = TimeSpan.Zero; elapsed <= StreamableRelay.AnswerTimeout * 2; elapsed += RelayResponseStream.PingInterval / 2)
            {
                await bus.PublishAsync("mcp:receiver", Frame(new StreamFrame { Id = request.Id, Kind = StreamFrameKind.Ping }), CancellationToken.None);
                await clock.WaitsAsync(++waits);
                clock.Advance(RelayResponseStream.PingInterval / 2);
                Assert.False(forwarding.IsCompleted, $"answered at {elapsed} while the holder still served the request: {context.Response.StatusCode}");
            }

            await bus.PublishAsync("mcp:receiver", Frame(new StreamFrame
            {
                Id = request.Id,
                Kind = StreamFrameKind.Head,
                Status = StatusCodes.Status200OK,
                Headers = new() { ["Content-Type"] = ["application/json"] },
                Body = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""),
                Last = true,
            }), CancellationToken.None);
            await forwarding.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal((StatusCodes.Status200OK, "application/json"), (context.Response.StatusCode, context.Response.ContentType));
            Assert.Equal("""{"jsonrpc":"2.0","id":1,"result":{}}""", Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()));
        }
        finally
        {
            await ((IHostedService)relay).StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task AHolderThatSaysNothing_Gets404_AtTheAnswerTimeout()
    {
        var clock = new WaitsClock();
        var bus = new MemoryBus();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<IMcpOAuthBus>(bus);
        services.AddMcpOAuth(o => o.AddUser("alice", "alice"));
        await using var provider = services.BuildServiceProvider();
        var relay = provider.GetRequiredService<StreamableRelay>();
        await ((IHostedService)relay).StartAsync(CancellationToken.None);
        try
        {
            var handed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var holder = await bus.SubscribeAsync("mcp:holder", _ =>
            {
                handed.TrySetResult();
                return ValueTask.CompletedTask;
            }, CancellationToken.None);
            var context = new DefaultHttpContext();
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = "/mcp";
            context.Response.Body = new MemoryStream();
            var forwarding = relay.ForwardAsync(context, new SessionHolder("holder", "alice", "client", McpSessionTransport.StreamableHttp), "s1", Encoding.UTF8.GetBytes("{}"), "mcp:tools");
            await handed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await clock.WaitsAsync(1);

            clock.Advance(StreamableRelay.AnswerTimeout - TimeSpan.FromSeconds(1));
            Assert.False(forwarding.IsCompleted);
            clock.Advance(TimeSpan.FromSeconds(1));
            await forwarding.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(StatusCodes.Status404NotFound, context.Response.StatusCode);
            Assert.Contains("does not answer", Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()), StringComparison.Ordinal);
        }
        finally
        {
            await ((IHostedService)relay).StopAsync(CancellationToken.None);
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

    private static byte[] Frame(StreamFrame frame) => JsonSerializer.SerializeToUtf8Bytes(frame, RelayJsonContext.Default.StreamFrame);

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
