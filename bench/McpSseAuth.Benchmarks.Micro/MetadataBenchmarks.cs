using BenchmarkDotNet.Attributes;
using McpSseAuth.Discovery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
    private ProtectedResourceMetadataEndpoint _prm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _app = BenchApp.StartAsync().GetAwaiter().GetResult();
        _asMetadata = _app.Services.GetRequiredService<AuthorizationServerMetadataEndpoint>();
        _prm = _app.Services.GetRequiredService<ProtectedResourceMetadataEndpoint>();
        if (GetFixedJson().GetAwaiter().GetResult() == 0 ||
            GetAuthorizationServerMetadata().GetAwaiter().GetResult() == 0 ||
            GetProtectedResourceMetadata().GetAwaiter().GetResult() == 0 ||
            AuthorizationServerMetadataHandler().GetAwaiter().GetResult() != StatusCodes.Status200OK ||
            ProtectedResourceMetadataHandler().GetAwaiter().GetResult() != StatusCodes.Status200OK)
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

    [Benchmark(Description = "PRM handler, direct")]
    public async Task<int> ProtectedResourceMetadataHandler()
    {
        var context = BenchApp.Request(_app.Services, HttpMethods.Get, PrmPath);
        await _prm.HandleAsync(context);
        return context.Response.StatusCode;
    }

    private async Task<int> GetAsync(string path)
    {
        using var response = await _app.Client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode ? body.Length : 0;
    }
}
