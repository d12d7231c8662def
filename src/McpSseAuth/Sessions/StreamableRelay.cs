using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using McpSseAuth.Http;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;

namespace McpSseAuth.Sessions;

/// <summary>
/// Streamable HTTP without sticky sessions. A stateful session lives in the SDK of the instance that created it; a request
/// naming it (a POST of a message, the GET stream, the DELETE) that reaches another instance is checked there against the
/// listed user and client (<see cref="SessionDirectory"/>) and handed to the holder over <see cref="IMcpOAuthBus"/>; the
/// holder runs it through the same guards and the SDK as its own request, as the session's user, and streams the response
/// back frame by frame (<see cref="RelayResponseStream"/>) — a JSON answer or an SSE stream with progress, server requests
/// and the result — which the receiving instance writes to the client as it comes. Each request runs once, on the holder.
/// A holder that does not answer within <see cref="AnswerTimeout"/> is gone: 404, so the client starts a new session; one
/// that falls silent mid-stream (no frame, not even a ping, for <see cref="SilenceTimeout"/>) ends the stream.
/// </summary>
internal sealed partial class StreamableRelay(
    SessionDirectory directory,
    IMcpOAuthBus bus,
    McpSessionRegistry registry,
    IServiceProvider services,
    TimeProvider time,
    ILogger<StreamableRelay> logger) : BackgroundService
{
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan SilenceTimeout = RelayResponseStream.PingInterval * 3;

    // The request headers the SDK reads; never Authorization or Cookie.
    private static readonly string[] Forwarded = ["Accept", "Content-Type", "Last-Event-ID", "Mcp-Session-Id", "MCP-Protocol-Version"];

    private readonly ConcurrentDictionary<string, RequestDelegate> _handlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Channel<StreamFrame>> _forwarded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _serving = new(StringComparer.Ordinal);
    private readonly RelayChannel _channel = new(bus, time, logger);

    /// <summary>Hands the request to the holder and writes its response as it comes; 404 when the holder does not answer.</summary>
    public async Task ForwardAsync(HttpContext context, SessionHolder holder, string sessionId, byte[] body, string? scope)
    {
        await _channel.WaitUntilListeningAsync(context.RequestAborted);
        var id = Guid.NewGuid().ToString("N");
        var frames = System.Threading.Channels.Channel.CreateUnbounded<StreamFrame>(new UnboundedChannelOptions { SingleReader = true });
        _forwarded[id] = frames;
        var ended = false;
        try
        {
            var request = context.Request;
            await PublishAsync(holder.Instance, new StreamFrame
            {
                Id = id,
                Kind = StreamFrameKind.Request,
                ReplyTo = bus.InstanceId,
                SessionId = sessionId,
                Method = request.Method,
                Path = request.Path.Value,
                Scope = scope,
                Headers = Forwarded.Where(h => request.Headers.ContainsKey(h)).ToDictionary(h => h, h => request.Headers[h].Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase),
                Body = body,
            }, context.RequestAborted);

            // A holder that takes long to start its response (a JSON answer comes whole) pings meanwhile: it is there.
            var first = await NextAsync(frames, AnswerTimeout, context.RequestAborted);
            while (first is { Kind: StreamFrameKind.Ping })
            {
                first = await NextAsync(frames, SilenceTimeout, context.RequestAborted);
            }

            if (first is not { Kind: StreamFrameKind.Head } head)
            {
                Log.StreamableRelayUnanswered(logger, sessionId, holder.Instance, "did not answer", "404");
                ended = true;
                await WriteNotFoundAsync(context, HolderSilent);
                return;
            }

            context.Response.StatusCode = head.Status;
            foreach (var (name, values) in head.Headers ?? [])
            {
                context.Response.Headers[name] = values;
            }

            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            long expected = 0;
            var frame = head;
            while (true)
            {
                switch (frame?.Kind)
                {
                    case StreamFrameKind.Head or StreamFrameKind.Chunk when frame.Body is null || frame.Seq == expected:
                        if (frame.Body is not null)
                        {
                            expected++;
                            await context.Response.Body.WriteAsync(frame.Body, context.RequestAborted);
                        }

                        // The client sees the head at once, with or without a body (a GET stream may carry nothing for long).
                        await context.Response.Body.FlushAsync(context.RequestAborted);

                        if (frame.Last)
                        {
                            ended = true;
                            return;
                        }

                        break;
                    case StreamFrameKind.Ping:
                        break;
                    case StreamFrameKind.End:
                        ended = true;
                        return;
                    default:
                        // Silent, or a frame lost on the way (the bus delivers at most once): the stream cannot go on whole.
                        Log.StreamableRelayUnanswered(logger, sessionId, holder.Instance, frame is null ? "fell silent" : "lost a frame", "the end of the stream");
                        return;
                }

                frame = await NextAsync(frames, SilenceTimeout, context.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the holder is told below.
        }
        finally
        {
            _forwarded.TryRemove(id, out _);
            if (!ended)
            {
                _ = PublishQuietlyAsync(holder.Instance, new StreamFrame { Id = id, Kind = StreamFrameKind.Abort }, sessionId);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!directory.Enabled)
        {
            return;
        }

        IAsyncDisposable? subscription = null;
        try
        {
            subscription = await _channel.SubscribeAsync(ChannelOf(bus.InstanceId), ReceivedAsync, stoppingToken);
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var serving in _serving.Values)
            {
                serving.Cancel();
            }

            if (subscription is not null)
            {
                await subscription.DisposeAsync();
            }
        }
    }

    private ValueTask ReceivedAsync(ReadOnlyMemory<byte> payload)
    {
        if (JsonSerializer.Deserialize(payload.Span, RelayJsonContext.Default.StreamFrame) is not { } frame)
        {
            return ValueTask.CompletedTask;
        }

        switch (frame.Kind)
        {
            case StreamFrameKind.Request:
                // Not awaited by the bus: a long stream must not hold up other frames.
                _ = Task.Run(() => ServeAsync(frame));
                break;
            case StreamFrameKind.Abort:
                if (_serving.TryGetValue(frame.Id, out var serving))
                {
                    serving.Cancel();
                }

                break;
            default:
                if (_forwarded.TryGetValue(frame.Id, out var frames))
                {
                    frames.Writer.TryWrite(frame);
                }

                break;
        }

        return ValueTask.CompletedTask;
    }

    private async Task<StreamFrame?> NextAsync(Channel<StreamFrame> frames, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await frames.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(timeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private const string HolderSilent = "Session not found: the server holding it does not answer. Start a new session.";
    private const string NotHeld = "Session not found: it has ended. Start a new session.";

    private static Task WriteNotFoundAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(JsonRpcErrors.RpcError(McpErrorCode.InvalidRequest, message)).AsTask();
    }

    private ValueTask PublishAsync(string instance, StreamFrame frame, CancellationToken cancellationToken)
        => bus.PublishAsync(ChannelOf(instance), JsonSerializer.SerializeToUtf8Bytes(frame, RelayJsonContext.Default.StreamFrame), cancellationToken);

    private async Task PublishQuietlyAsync(string instance, StreamFrame frame, string sessionId)
    {
        try
        {
            await PublishAsync(instance, frame, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.StreamableRelayFailed(logger, sessionId, e);
        }
    }

    private static string ChannelOf(string instance) => "mcp:" + instance;
}
