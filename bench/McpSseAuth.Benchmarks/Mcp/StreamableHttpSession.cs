using System.Net;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>A Streamable HTTP session: each request is a POST whose response (JSON or an event stream) carries the answer.</summary>
internal sealed class StreamableHttpSession(McpEndpoint endpoint, HttpClient http) : IMcpLoadSession
{
    private string? _sessionId;
    private long _nextId;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var id = ++_nextId;
        using (var response = await PostAsync(JsonRpc.Initialize(id), cancellationToken))
        {
            await EnsureAnswerAsync(response, id, cancellationToken);
            _sessionId = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : null;
        }

        using var initialized = await PostAsync(JsonRpc.Initialized, cancellationToken);
        if (initialized.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"notifications/initialized answered {(int)initialized.StatusCode}, expected 202.");
        }
    }

    public async Task CallAsync(CancellationToken cancellationToken)
    {
        var id = ++_nextId;
        using var response = await PostAsync(JsonRpc.CallEcho(id), cancellationToken);
        await EnsureAnswerAsync(response, id, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sessionId is null)
        {
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Delete, endpoint.StreamableUri);
        request.Headers.Add("Mcp-Session-Id", _sessionId);
        request.Headers.Add("MCP-Protocol-Version", JsonRpc.ProtocolVersion);
        endpoint.Authorize(request, McpTransport.StreamableHttp);
        try
        {
            using var response = await http.SendAsync(request);
        }
        catch (HttpRequestException)
        {
            // The server is going away; the session goes with it.
        }
    }

    private async Task<HttpResponseMessage> PostAsync(string json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.StreamableUri) { Content = JsonRpc.Content(json) };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (_sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", _sessionId);
            request.Headers.Add("MCP-Protocol-Version", JsonRpc.ProtocolVersion);
        }

        endpoint.Authorize(request, McpTransport.StreamableHttp);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private static async Task EnsureAnswerAsync(HttpResponseMessage response, long id, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"Request {id} answered {(int)response.StatusCode}: {JsonRpc.Shorten(body)}");
        }

        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            using var events = new SseReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await events.ReadAsync(cancellationToken) is { } message)
            {
                if (message.Event == "message" && JsonRpc.AnswerId(message.Data) == id)
                {
                    JsonRpc.EnsureSuccess(message.Data, id);
                    return;
                }
            }

            throw new InvalidOperationException($"The response stream of request {id} ended without its answer.");
        }

        JsonRpc.EnsureSuccess(await response.Content.ReadAsStringAsync(cancellationToken), id);
    }
}
