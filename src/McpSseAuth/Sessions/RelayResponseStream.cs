using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Sessions;

/// <summary>
/// The body of a relayed request's response on the holder: what the SDK writes is sent to the sender as it is flushed —
/// first the response's status and headers (<see cref="StreamFrameKind.Head"/>) with the first piece of its body, then
/// numbered chunks; the frame sent when the response completes says it is the last. Headers flushed alone (the SDK does so
/// as a stream starts) wait up to <see cref="HeadGrace"/> for the first piece, then go alone, so a long call's client
/// still sees them at once. While nothing is written for <see cref="PingInterval"/>, a ping says the holder is still there.
/// Frames go out one at a time, in order: a JSON answer is one frame, a quick tool call's event stream two.
/// </summary>
internal sealed class RelayResponseStream(string id, HttpResponse response, Func<StreamFrame, Task> publish, TimeProvider time) : Stream
{
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long headers flushed alone wait for the body's first piece to travel with.</summary>
    public static readonly TimeSpan HeadGrace = TimeSpan.FromMilliseconds(250);

    // Not the client's to see: how this hop was framed.
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase) { "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive" };

    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly MemoryStream _pending = new();
    private long _seq;
    private bool _headSent;
    private bool _ended;
    private Task? _headLater;
    private long _lastSent = time.GetTimestamp();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => _pending.Write(buffer, offset, count);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        _pending.Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _pending.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => SendAsync(end: false);

    /// <summary>Sends what is left and the end; the response is complete.</summary>
    public Task CompleteAsync() => SendAsync(end: true);

    /// <summary>Pings the sender while nothing else goes out, until the response is complete or <paramref name="stopping"/>.</summary>
    public async Task PingWhileServingAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(PingInterval / 2, time);
        while (await timer.WaitForNextTickAsync(stopping))
        {
            await _sending.WaitAsync(stopping);
            try
            {
                if (_ended)
                {
                    return;
                }

                if (time.GetElapsedTime(_lastSent) >= PingInterval)
                {
                    await SendLockedAsync(new StreamFrame { Id = id, Kind = StreamFrameKind.Ping });
                }
            }
            finally
            {
                _sending.Release();
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task SendAsync(bool end)
    {
        await _sending.WaitAsync();
        try
        {
            if (_ended)
            {
                return;
            }

            if (!_headSent && _pending.Length == 0 && !end)
            {
                _headLater ??= SendHeadLaterAsync();
                return;
            }

            byte[]? body = null;
            if (_pending.Length > 0)
            {
                body = _pending.ToArray();
                _pending.SetLength(0);
            }

            if (!_headSent)
            {
                _ended = end;
                await SendHeadLockedAsync(body, end);
            }
            else if (body is not null || end)
            {
                _ended = end;
                await SendLockedAsync(body is null
                    ? new StreamFrame { Id = id, Kind = StreamFrameKind.End }
                    : new StreamFrame { Id = id, Kind = StreamFrameKind.Chunk, Seq = _seq++, Body = body, Last = end });
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task SendHeadLaterAsync()
    {
        await Task.Delay(HeadGrace, time);
        try
        {
            await _sending.WaitAsync();
            try
            {
                if (!_headSent && !_ended)
                {
                    await SendHeadLockedAsync(null, false);
                }
            }
            finally
            {
                _sending.Release();
            }
        }
        catch (ObjectDisposedException)
        {
            // The response completed (and its head went with it) before the grace was over.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The bus failed: the sender hears nothing and answers 404 at its timeout; the response's next frame fails the same way.
        }
    }

    private Task SendHeadLockedAsync(byte[]? body, bool last)
    {
        _headSent = true;
        return SendLockedAsync(new StreamFrame
        {
            Id = id,
            Kind = StreamFrameKind.Head,
            Status = response.StatusCode,
            Headers = response.Headers.Where(h => !HopHeaders.Contains(h.Key)).ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase),
            Seq = body is null ? 0 : _seq++,
            Body = body,
            Last = last,
        });
    }

    private async Task SendLockedAsync(StreamFrame frame)
    {
        await publish(frame);
        _lastSent = time.GetTimestamp();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pending.Dispose();
            _sending.Dispose();
        }

        base.Dispose(disposing);
    }
}
