using System.Net.Http.Headers;
using System.Text;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>Raw MCP over HTTP for tests that must see status codes and streams: JSON-RPC posts and SSE events.</summary>
public static class McpWire
{
    public const string Initialize =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"wire-test","version":"1.0"}}}""";

    public const string ListTools = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";

    /// <summary>Opens <c>GET /sse</c> with the token; the stream stays open until the response is disposed.</summary>
    public static async Task<(HttpResponseMessage Stream, StreamReader Reader, string MessagePath)> OpenSseAsync(HttpClient http, string token, string path = "/sse")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("text/event-stream");
        var stream = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        stream.EnsureSuccessStatusCode();
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        return (stream, reader, await ReadEndpointEventAsync(reader));
    }

    /// <summary>Opens the standalone Streamable HTTP stream (<c>GET /mcp</c>) of a session; open until the response is disposed.</summary>
    public static async Task<(HttpResponseMessage Stream, StreamReader Reader)> OpenStandaloneStreamAsync(HttpClient http, string token, string sessionId, string path = "/mcp")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("Mcp-Session-Id", sessionId);
        request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        var stream = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        stream.EnsureSuccessStatusCode();
        return (stream, new StreamReader(await stream.Content.ReadAsStreamAsync()));
    }

    /// <summary>Reads until the server closes the stream; a stream still open after 10 seconds fails the test.</summary>
    public static async Task ReadUntilClosedAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await reader.ReadLineAsync(timeout.Token) is not null)
        {
        }
    }

    public static async Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string path, string json, string? token, string? sessionId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
            request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        }

        return await http.SendAsync(request);
    }

    public static async Task<string> ReadEndpointEventAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? line;
        var sawEndpoint = false;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null)
        {
            if (line == "event: endpoint")
            {
                sawEndpoint = true;
            }
            else if (sawEndpoint && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return line["data: ".Length..];
            }
        }

        throw new InvalidOperationException("The SSE stream ended before the endpoint event.");
    }

    public static async Task<string> ReadDataEventAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? line;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return line["data: ".Length..];
            }
        }

        throw new InvalidOperationException("The SSE stream ended before a message event.");
    }
}
