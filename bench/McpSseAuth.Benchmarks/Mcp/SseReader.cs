using System.Text;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>Reads server-sent events (<c>event:</c> / <c>data:</c> lines, a blank line ends an event) from a response body.</summary>
internal sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096);
    private readonly StringBuilder _data = new();

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<(string Event, string Data)?> ReadAsync(CancellationToken cancellationToken)
    {
        var name = "message";
        _data.Clear();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (_data.Length > 0)
                {
                    return (name, _data.ToString());
                }

                name = "message";
                continue;
            }

            if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (_data.Length > 0)
                {
                    _data.Append('\n');
                }

                _data.Append(line.AsSpan("data:".Length).TrimStart(' '));
            }
        }

        return null;
    }

    public void Dispose() => _reader.Dispose();
}
