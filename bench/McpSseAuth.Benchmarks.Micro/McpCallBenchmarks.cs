using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using McpSseAuth.BenchServer;
using McpSseAuth.Grants;
using McpSseAuth.SampleServer;
using McpSseAuth.Storage;
using McpSseAuth.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// One <c>tools/call</c> of the sample's <c>echo</c> tool on a Streamable HTTP session, through the whole ASP.NET Core
/// pipeline of the in-memory test server (no sockets, so what is left is the server's own work): the SDK with no
/// authentication, the SDK behind the floor (the constant-token scheme and <c>RequireAuthorization()</c>), and the SDK
/// behind McpSseAuth (<c>AddMcpOAuth</c> + <c>MapMcpSse</c>, memory storage, the token the token endpoint would issue).
/// The load benchmark (<c>mcp</c>) measures the same over Kestrel and loopback; this one shows, allocation by allocation,
/// what each server adds to a call.
/// </summary>
public class McpCallBenchmarks
{
    private const string Initialize = """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1.0"}}}""";
    private const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";
    private static readonly byte[] CallEcho = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}""");

    private WebApplication _baseline = null!;
    private WebApplication _floor = null!;
    private BenchApp _mcpSseAuth = null!;
    private Session _baselineSession = null!;
    private Session _floorSession = null!;
    private Session _mcpSseAuthSession = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _mcpSseAuth = await BenchApp.StartAsync(services: s =>
        {
            s.AddMcpServer().WithTools<SampleTools>();
            s.Configure<McpOAuthOptions>(o => o.Scopes.Add(SampleScopes.Admin, "Statistics"));
        });
        var token = _mcpSseAuth.Services.GetRequiredService<AccessTokenIssuer>()
            .Issue(BenchApp.Issuer, [BenchApp.McpResource], new GrantSubject(BenchApp.UserName, BenchApp.UserName), "bench-client", [McpOAuthDefaults.DefaultScope], OpaqueHandle.Create()).Token;
        _mcpSseAuthSession = await Session.OpenAsync(_mcpSseAuth.Client, token);

        _baseline = await StartSdkAppAsync(constantToken: null);
        _baselineSession = await Session.OpenAsync(Client(_baseline), token: null);
        _floor = await StartSdkAppAsync(token);
        _floorSession = await Session.OpenAsync(Client(_floor), token);

        foreach (var session in new[] { _baselineSession, _floorSession, _mcpSseAuthSession })
        {
            var answer = await session.CallAsync();
            if (!answer.Contains("\"hello\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The echo tool did not answer: " + answer);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _mcpSseAuth.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _baseline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _floor.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "tools/call, no authentication")]
    public Task<string> NoAuth() => _baselineSession.CallAsync();

    [Benchmark(Description = "tools/call, constant token (the floor)")]
    public Task<string> Floor() => _floorSession.CallAsync();

    [Benchmark(Description = "tools/call, McpSseAuth")]
    public Task<string> McpSseAuth() => _mcpSseAuthSession.CallAsync();

    /// <summary>The benchmark server's MCP part: the SDK as McpSseAuth configures it, behind the floor or nothing.</summary>
    private static async Task<WebApplication> StartSdkAppAsync(string? constantToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
builder.Services.AddSampleMcpServer();
        if (constantToken is not null)
        {
            builder.Services.AddAuthentication(BenchServer.ConstantTokenHandler.SchemeName)
                .AddScheme<BenchServer.ConstantTokenOptions, BenchServer.ConstantTokenHandler>(BenchServer.ConstantTokenHandler.SchemeName, o => o.Tokens.Add(Encoding.ASCII.GetBytes(constantToken)));
            builder.Services.AddAuthorization();
        }

        var app = builder.Build();
        var mcp = app.MapMcp("/mcp");
        if (constantToken is not null)
        {
            mcp.RequireAuthorization();
        }

        await app.StartAsync();
        return app;
    }

    private static HttpClient Client(WebApplication app)
    {
        var client = app.GetTestClient();
        client.BaseAddress = new Uri(BenchApp.Issuer);
        return client;
    }

    /// <summary>An initialized Streamable HTTP session: its id and the bearer token its requests carry.</summary>
    private sealed class Session(HttpClient client, string? token, string id)
    {
        public static async Task<Session> OpenAsync(HttpClient client, string? token)
        {
            using var response = await client.SendAsync(Post(token, null, Encoding.UTF8.GetBytes(Initialize)));
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || !response.Headers.TryGetValues("Mcp-Session-Id", out var ids))
            {
                throw new InvalidOperationException($"initialize: {(int)response.StatusCode} {body}");
            }

            var id = ids.First();
            using var initialized = await client.SendAsync(Post(token, id, Encoding.UTF8.GetBytes(Initialized)));
            if (!initialized.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"notifications/initialized: {(int)initialized.StatusCode}");
            }

            return new Session(client, token, id);
        }

        public async Task<string> CallAsync()
        {
            using var response = await client.SendAsync(Post(token, id, CallEcho));
            var body = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode ? body : throw new InvalidOperationException($"tools/call: {(int)response.StatusCode} {body}");
        }

        private static HttpRequestMessage Post(string? token, string? session, byte[] json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new ByteArrayContent(json) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (session is not null)
            {
                request.Headers.Add("Mcp-Session-Id", session);
            }

            return request;
        }
    }
}
