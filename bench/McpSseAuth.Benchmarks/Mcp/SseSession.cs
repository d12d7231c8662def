using System.Collections.Concurrent;
using System.Net;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>
/// A legacy HTTP+SSE session: <c>GET /sse</c> opens the stream and names the message URL; every request is a POST there
/// (202), and its answer arrives on the stream, matched by id.
/// </summary>
internal sealed class SseSession(McpEndpoint endpoint, HttpClient http) : IMcpLoadSession
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<string>> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private HttpResponseMessage? _stream;
    private SseReader? _events;
    private Task? _readLoop;
    private Uri? _messageUri;
    private long _nextId;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, endpoint.SseUri))
        {
            request.Headers.Accept.ParseAdd("text/event-stream");
            endpoint.Authorize(request, McpTransport.Sse);
            _stream = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }

        if (_stream.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /sse answered {(int)_stream.StatusCode}: {JsonRpc.Shorten(await _stream.Content.ReadAsStringAsync(cancellationToken))}");
        }

        _events = new SseReader(await _stream.Content.ReadAsStreamAsync(cancellationToken));
        var first = await _events.ReadAsync(cancellationToken);
        if (first is not ("endpoint", var path))
        {
            throw new InvalidOperationException($"The SSE stream did not start with an endpoint event (got {first?.Event ?? "the end"}).");
        }

        _messageUri = new Uri(endpoint.SseUri, path);
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);

        var id = ++_nextId;
        await SendAsync(JsonRpc.Initialize(id), id, cancellationToken);
        await PostAsync(JsonRpc.Initialized, cancellationToken);
    }

    public Task CallAsync(CancellationToken cancellationToken)
    {
        var id = ++_nextId;
        return SendAsync(JsonRpc.CallEcho(id), id, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _stream?.Dispose();
        if (_readLoop is not null)
        {
            await _readLoop;
        }

        _events?.Dispose();
        _closing.Dispose();
    }

    private async Task SendAsync(string json, long id, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            if (_readLoop is null or { IsCompleted: true })
            {
                throw new InvalidOperationException("The SSE stream is not open.");
            }

            await PostAsync(json, cancellationToken);
            JsonRpc.EnsureSuccess(await answer.Task.WaitAsync(cancellationToken), id);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task PostAsync(string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _messageUri) { Content = JsonRpc.Content(json) };
        endpoint.Authorize(request, McpTransport.Sse);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST {_messageUri?.PathAndQuery} answered {(int)response.StatusCode}, expected 202: {JsonRpc.Shorten(await response.Content.ReadAsStringAsync(cancellationToken))}");
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception ended = new InvalidOperationException("The SSE stream ended.");
        try
        {
            while (await _events!.ReadAsync(_closing.Token) is { } message)
            {
                if (message.Event == "message" && JsonRpc.AnswerId(message.Data) is { } id && _pending.TryGetValue(id, out var answer))
                {
                    answer.TrySetResult(message.Data);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
        {
            ended = new InvalidOperationException("The SSE stream ended: " + e.Message, e);
        }

        foreach (var answer in _pending.Values)
        {
            answer.TrySetException(ended);
        }
    }
}
