using System.Net;
using System.Net.Http.Headers;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>The MCP transports the driver speaks.</summary>
internal enum McpTransport
{
    /// <summary>Streamable HTTP: <c>POST /mcp</c> with <c>Mcp-Session-Id</c>, each answer in the POST's response.</summary>
    StreamableHttp,

    /// <summary>Legacy HTTP+SSE: <c>GET /sse</c> holds the stream, <c>POST /message</c> answers 202, answers arrive on the stream.</summary>
    Sse,
}

/// <summary>
/// A server under load: where its transports are (<c>/mcp</c> and <c>/sse</c> unless told), and the bearer token each
/// sends (none for the unauthenticated baseline).
/// </summary>
internal sealed record McpEndpoint(string Name, Uri BaseAddress, IReadOnlyDictionary<McpTransport, string>? AccessTokens, string StreamablePath = "/mcp", string SsePath = "/sse")
{
    public Uri StreamableUri => new(BaseAddress, StreamablePath);

    public Uri SseUri => new(BaseAddress, SsePath);

    public void Authorize(HttpRequestMessage request, McpTransport transport)
    {
        if (AccessTokens?[transport] is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>One HTTP client for a whole run: unbounded connections (an SSE stream holds one each), no proxy, no redirects.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(30),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
