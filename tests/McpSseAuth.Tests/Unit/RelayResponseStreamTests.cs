using System.Text;
using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// How a relayed response is framed on its way back to the instance that received the request: as few frames as the
/// flushes allow, each body piece numbered, and exactly one frame that says the response is complete.
/// </summary>
public sealed class RelayResponseStreamTests
{
    [Fact]
    public async Task AJsonAnswer_WrittenThenCompleted_IsOneFrame_HeadWithBodyAndLast()
    {
        var (stream, frames) = Create(StatusCodes.Status200OK, "application/json");
        await stream.WriteAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""));
        await stream.CompleteAsync();

        var frame = Assert.Single(frames);
        Assert.Equal(StreamFrameKind.Head, frame.Kind);
        Assert.Equal(200, frame.Status);
        Assert.Equal(["application/json"], frame.Headers!["Content-Type"]);
        Assert.Equal((0L, true), (frame.Seq, frame.Last));
        Assert.Equal("""{"jsonrpc":"2.0","id":1,"result":{}}""", Encoding.UTF8.GetString(frame.Body!));
    }

    [Fact]
    public async Task AnEventStream_FlushedAsItGoes_SendsTheHeadWithTheFirstEvent_NumberedChunks_AndEndsOnce()
    {
        var (stream, frames) = Create(StatusCodes.Status200OK, "text/event-stream");
        await stream.FlushAsync();                                      // headers alone, as the SDK starts a stream: held back
        await stream.WriteAsync(Encoding.UTF8.GetBytes("data: 1\n\n"));
        await stream.FlushAsync();
        await stream.FlushAsync();                                      // nothing new: no frame
        await stream.WriteAsync(Encoding.UTF8.GetBytes("data: 2\n\n"));
        await stream.CompleteAsync();
        await stream.CompleteAsync();                                   // already complete: no frame

        Assert.Equal(
            [(StreamFrameKind.Head, 0L, "data: 1\n\n", false), (StreamFrameKind.Chunk, 1L, "data: 2\n\n", true)],
            frames.Select(f => (f.Kind, f.Seq, f.Body is null ? null : Encoding.UTF8.GetString(f.Body), f.Last)));
    }

    [Fact]
    public async Task HeadersFlushedAlone_GoAloneOnceTheGraceIsOver_SoALongCallsClientSeesThem()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var first = new TaskCompletionSource<StreamFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        var frames = new List<StreamFrame>();
        var context = new DefaultHttpContext();
        context.Response.ContentType = "text/event-stream";
        await using var stream = new RelayResponseStream("r1", context.Response, frame =>
        {
            lock (frames)
            {
                frames.Add(frame);
            }

            first.TrySetResult(frame);
            return Task.CompletedTask;
        }, clock);

        await stream.FlushAsync();
        clock.Advance(RelayResponseStream.HeadGrace - TimeSpan.FromMilliseconds(1));
        Assert.False(first.Task.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var head = await first.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((StreamFrameKind.Head, (byte[]?)null, false), (head.Kind, head.Body, head.Last));
        await stream.WriteAsync(Encoding.UTF8.GetBytes("data: late\n\n"));
        await stream.CompleteAsync();
        lock (frames)
        {
            Assert.Equal([(StreamFrameKind.Head, 0L, false), (StreamFrameKind.Chunk, 0L, true)], frames.Select(f => (f.Kind, f.Seq, f.Last)));
        }
    }

    [Fact]
    public async Task AResponseCompletedWithNoBody_IsOneHeadThatSaysItIsTheLast()
    {
        var (stream, frames) = Create(StatusCodes.Status202Accepted, null);
        await stream.FlushAsync();
        await stream.CompleteAsync();

        var frame = Assert.Single(frames);
        Assert.Equal((StreamFrameKind.Head, 202, (byte[]?)null, true), (frame.Kind, frame.Status, frame.Body, frame.Last));
    }

    private static (RelayResponseStream Stream, List<StreamFrame> Frames) Create(int status, string? contentType)
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = status;
        if (contentType is not null)
        {
            context.Response.ContentType = contentType;
        }

        var frames = new List<StreamFrame>();
        var stream = new RelayResponseStream("r1", context.Response, frame =>
        {
            frames.Add(frame);
            return Task.CompletedTask;
        }, TimeProvider.System);
        return (stream, frames);
    }
}
