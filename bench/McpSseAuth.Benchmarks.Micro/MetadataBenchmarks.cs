using BenchmarkDotNet.Attributes;
using McpSseAuth.Discovery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.AspNetCore.Authentication;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// The discovery documents every MCP client fetches before it connects: the authorization server metadata (RFC 8414) and
/// the protected resource metadata of <c>/mcp</c> (RFC 9728). As HTTP GETs through the test server's whole pipeline,
/// against an endpoint that writes fixed JSON bytes (the floor: what the pipeline itself costs); and the two handlers
/// called directly, to tell what building the documents costs from what the pipeline does.
/// </summary>
public class MetadataBenchmarks
{
    private const string PrmPath = McpOAuthDefaults.ProtectedResourceMetadataPath + "/mcp";
    private BenchApp _app = null!;
    private AuthorizationServerMetadataEndpoint _asMetadata = null!;

    [GlobalSetup]
    public void Setup()
    {
        _app = BenchApp.StartAsync().GetAwaiter().GetResult();
        _asMetadata = _app.Services.GetRequiredService<AuthorizationServerMetadataEndpoint>();
        if (GetFixedJson().GetAwaiter().GetResult() == 0 ||
            GetAuthorizationServerMetadata().GetAwaiter().GetResult() == 0 ||
            GetProtectedResourceMetadata().GetAwaiter().GetResult() == 0 ||
            AuthorizationServerMetadataHandler().GetAwaiter().GetResult() != StatusCodes.Status200OK ||
            !ProtectedResourceMetadataHandler().GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("A metadata path did not answer its document: the benchmark would measure a failure.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "GET fixed JSON bytes")]
    public Task<int> GetFixedJson() => GetAsync(BenchApp.FixedJsonPath);

    [Benchmark(Description = "GET AS metadata")]
    public Task<int> GetAuthorizationServerMetadata() => GetAsync(McpOAuthDefaults.AuthorizationServerMetadataPath);

    [Benchmark(Description = "GET PRM /mcp")]
    public Task<int> GetProtectedResourceMetadata() => GetAsync(PrmPath);

    [Benchmark(Description = "AS metadata handler, direct")]
    public async Task<int> AuthorizationServerMetadataHandler()
    {
        var context = BenchApp.Request(_app.Services, HttpMethods.Get, McpOAuthDefaults.AuthorizationServerMetadataPath);
        await _asMetadata.HandleAsync(context);
        return context.Response.StatusCode;
    }

    /// <summary>The SDK's MCP authentication handler with McpSseAuth's document, as the authentication middleware calls it.</summary>
    [Benchmark(Description = "PRM handler, direct")]
    public async Task<bool> ProtectedResourceMetadataHandler()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var context = BenchApp.Request(scope.ServiceProvider, HttpMethods.Get, PrmPath);
        var handlers = scope.ServiceProvider.GetRequiredService<IAuthenticationHandlerProvider>();
        return await handlers.GetHandlerAsync(context, McpAuthenticationDefaults.AuthenticationScheme) is IAuthenticationRequestHandler handler
            && await handler.HandleRequestAsync()
            && context.Response.StatusCode == StatusCodes.Status200OK;
    }

    private async Task<int> GetAsync(string path)
    {
        using var response = await _app.Client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? body.Length : 0;
    }
}
