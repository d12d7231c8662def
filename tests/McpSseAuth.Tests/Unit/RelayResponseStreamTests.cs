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
    public async Task AnEventStream_FlushedAsItGoes_SendsTheHeadAtOnce_NumberedChunks_AndEndsOnce()
    {
        var (stream, frames) = Create(StatusCodes.Status200OK, "text/event-stream");
        await stream.FlushAsync();                                      // headers out before any event
        await stream.WriteAsync(Encoding.UTF8.GetBytes("data: 1\n\n"));
        await stream.FlushAsync();
        await stream.FlushAsync();                                      // nothing new: no frame
        await stream.WriteAsync(Encoding.UTF8.GetBytes("data: 2\n\n"));
        await stream.CompleteAsync();
        await stream.CompleteAsync();                                   // already complete: no frame

        Assert.Equal(
            [(StreamFrameKind.Head, 0L, null, false), (StreamFrameKind.Chunk, 0L, "data: 1\n\n", false), (StreamFrameKind.Chunk, 1L, "data: 2\n\n", true)],
            frames.Select(f => (f.Kind, f.Seq, f.Body is null ? null : Encoding.UTF8.GetString(f.Body), f.Last)));
    }

    [Fact]
    public async Task AStreamCompletedWithNothingLeft_EndsWithAnEndFrame()
    {
        var (stream, frames) = Create(StatusCodes.Status202Accepted, null);
        await stream.FlushAsync();
        await stream.CompleteAsync();

        Assert.Equal([StreamFrameKind.Head, StreamFrameKind.End], frames.Select(f => f.Kind));
        Assert.Equal(202, frames[0].Status);
        Assert.False(frames[0].Last);
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
