using System.Net;
using System.Text;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>One HTTP exchange: the request line, the status, and the response body as far as the caller read it.</summary>
public sealed class RecordedExchange(HttpMethod method, Uri url, HttpStatusCode status)
{
    private readonly MemoryStream _body = new();

    public HttpMethod Method { get; } = method;

    public Uri Url { get; } = url;

    public HttpStatusCode Status { get; } = status;

    /// <summary>The bytes read so far, as UTF-8 (for streams: what the caller consumed).</summary>
    public string Body
    {
        get
        {
            lock (_body)
            {
                return Encoding.UTF8.GetString(_body.GetBuffer(), 0, (int)_body.Length);
            }
        }
    }

    internal void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_body)
        {
            _body.Write(bytes);
        }
    }

    public override string ToString() => $"{Method} {Url} -> {(int)Status}";
}

/// <summary>
/// Records every response an <see cref="HttpClient"/> receives, including streamed ones (Server-Sent Events): the body
/// is copied as the caller reads it, so streaming keeps working. Give the MCP client <c>new HttpClient(new RecordingHandler())</c>.
/// </summary>
public sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private readonly List<RecordedExchange> _exchanges = [];

    public IReadOnlyList<RecordedExchange> Exchanges
    {
        get
        {
            lock (_exchanges)
            {
                return [.. _exchanges];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var exchange = new RecordedExchange(request.Method, request.RequestUri!, response.StatusCode);
        lock (_exchanges)
        {
            _exchanges.Add(exchange);
        }

        var original = response.Content;
        var stream = await original.ReadAsStreamAsync(cancellationToken);
        var recorded = new StreamContent(new TeeStream(stream, original, exchange));
        foreach (var header in original.Headers)
        {
            recorded.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = recorded;
        return response;
    }

    private sealed class TeeStream(Stream inner, HttpContent owner, RecordedExchange exchange) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            exchange.Append(buffer.AsSpan(offset, read));
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            exchange.Append(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
