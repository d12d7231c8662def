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
/// sends (none for the unauthenticated baseline). With <paramref name="RoundRobin"/>, each request goes to the next of
/// those instances in turn, as a load balancer without affinity sends it.
/// </summary>
internal sealed record McpEndpoint(string Name, Uri BaseAddress, IReadOnlyDictionary<McpTransport, string>? AccessTokens, string StreamablePath = "/mcp", string SsePath = "/sse", IReadOnlyList<Uri>? RoundRobin = null)
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
    public static HttpClient CreateHttpClient() => new(CreateHandler())
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The HTTP client of a run against this endpoint: <see cref="CreateHttpClient()"/>, round-robin when it has instances.</summary>
    public HttpClient CreateClient() => RoundRobin is { Count: > 0 } instances
        ? new HttpClient(new RoundRobinHandler(instances) { InnerHandler = CreateHandler() }) { Timeout = Timeout.InfiniteTimeSpan }
        : CreateHttpClient();

    private static SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A load balancer without affinity, in the client: each request's host and port become the next instance's.</summary>
    private sealed class RoundRobinHandler(IReadOnlyList<Uri> instances) : DelegatingHandler
    {
        private int _next = -1;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var instance = instances[(int)((uint)Interlocked.Increment(ref _next) % (uint)instances.Count)];
            request.RequestUri = new UriBuilder(request.RequestUri!) { Host = instance.Host, Port = instance.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
