using System.Net.Http.Json;
using System.Text.Json;
using McpSseAuth.Discovery;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// A McpSseAuth app built the way an application builds it (<c>AddMcpOAuth</c>, then <c>MapMcpSse</c>) on the in-memory
/// test server, so the benchmarks measure the library's own services, wired by its own registration, and HTTP requests
/// go through the real pipeline. Logging providers are removed: the benchmarks measure the library, not a console.
/// </summary>
internal sealed class BenchApp : IAsyncDisposable
{
    public const string Issuer = "http://127.0.0.1:5000";
    public const string McpResource = Issuer + "/mcp";
    public const string UserName = "alice";
    public const string RedirectUri = "http://127.0.0.1:3000/callback";

    /// <summary>A fixed JSON document the baseline endpoint writes as bytes, about the size of the AS metadata.</summary>
    public const string FixedJsonPath = "/bench/fixed.json";

    private BenchApp(WebApplication app, HttpClient client, Endpoint mcpEndpoint)
    {
        App = app;
        Client = client;
        McpEndpoint = mcpEndpoint;
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>A client of the test server, based at the issuer.</summary>
    public HttpClient Client { get; }

    /// <summary>The real <c>POST /mcp</c> endpoint as routing resolves it, with its metadata (resource, authorization policy).</summary>
    public Endpoint McpEndpoint { get; }

    public static byte[] FixedJson { get; } = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = Issuer + "/oauth/authorize",
        ["token_endpoint"] = Issuer + "/oauth/token",
        ["registration_endpoint"] = Issuer + "/oauth/register",
        ["revocation_endpoint"] = Issuer + "/oauth/revoke",
        ["revocation_endpoint_auth_methods_supported"] = new[] { "none" },
        ["jwks_uri"] = Issuer + "/oauth/jwks",
        ["scopes_supported"] = new[] { "mcp:tools", "offline_access" },
        ["response_types_supported"] = new[] { "code" },
        ["response_modes_supported"] = new[] { "query" },
        ["grant_types_supported"] = new[] { "authorization_code", "refresh_token" },
        ["token_endpoint_auth_methods_supported"] = new[] { "none" },
        ["code_challenge_methods_supported"] = new[] { "S256" },
        ["authorization_response_iss_parameter_supported"] = true,
        ["client_id_metadata_document_supported"] = false,
    });

    /// <summary>What an MCP client sends to the registration endpoint: a public client with refresh tokens.</summary>
    private static readonly Dictionary<string, object> Registration = new()
    {
        ["client_name"] = "bench client",
        ["redirect_uris"] = new[] { RedirectUri },
        ["grant_types"] = new[] { "authorization_code", "refresh_token" },
        ["response_types"] = new[] { "code" },
        ["token_endpoint_auth_method"] = "none",
    };

    public static async Task<BenchApp> StartAsync(string signingAlgorithm = "ES256", Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Services.AddMcpOAuth(o =>
        {
            o.Issuer = new Uri(Issuer);
            o.AllowInsecureHttp = true;
            o.Signing.Algorithm = signingAlgorithm;
            o.Signing.KeyDirectory = null;
            // Setups register clients from one address, in every benchmark process.
            o.Registration.MaxPerAddress = 100_000;
            o.AddUser(UserName, UserName);
        });
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapMcpSse();
        app.MapGet(FixedJsonPath, static context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.Body.WriteAsync(FixedJson, context.RequestAborted).AsTask();
        });
        await app.StartAsync();

        var client = app.GetTestClient();
        client.BaseAddress = new Uri(Issuer);
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var mcp = endpoints.FirstOrDefault(e => e.Metadata.GetMetadata<ProtectedResourceMetadataPath>()?.ResourcePath == "/mcp"
                && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Post) == true)
            ?? throw new InvalidOperationException("No POST /mcp endpoint among: " + string.Join(", ", endpoints.Select(e => $"{e.RoutePattern.RawText} [{string.Join('|', e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])}] {e.Metadata.GetMetadata<ProtectedResourceMetadataPath>()}")));
        return new BenchApp(app, client, mcp);
    }

    /// <summary>Registers a public client through the registration endpoint (RFC 7591), as an MCP client does.</summary>
    public async Task<string> RegisterClientAsync()
    {
        using var response = await Client.PostAsJsonAsync("/oauth/register", Registration);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Registration failed: {(int)response.StatusCode} {body}");
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("client_id").GetString()!;
    }

    /// <summary>
    /// A request context as the server would hand it to the endpoint: issuer's scheme and host, the endpoint and its
    /// metadata set, the services of a request scope.
    /// </summary>
    public static DefaultHttpContext Request(IServiceProvider requestServices, string method, PathString path, Endpoint? endpoint = null)
    {
        var context = new DefaultHttpContext { RequestServices = requestServices };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("127.0.0.1", 5000);
        request.Path = path;
        context.Response.Body = Stream.Null;
        if (endpoint is not null)
        {
            context.SetEndpoint(endpoint);
        }

        return context;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
