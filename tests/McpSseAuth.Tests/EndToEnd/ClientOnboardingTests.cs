using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// How real clients get a client id, end to end with the C# SDK client on real Kestrel: a client ID metadata document
/// (no registration), a pre-registered public client, and a pre-registered confidential client that authenticates with
/// its secret at the token endpoint.
/// </summary>
public sealed class ClientOnboardingTests : IAsyncLifetime
{
    private const string RedirectUri = "http://127.0.0.1:45123/callback";
    private const string Secret = "confidential-client-secret-0123456789abcdef";
    private DocumentServer _documents = null!;
    private SampleApp _app = null!;

    public async Task InitializeAsync()
    {
        // https, as clients require for a client id URL; the server's fetcher is told to trust the test certificate.
        _documents = await DocumentServer.StartAsync(https: true);
        var thumbprint = _documents.Certificate!.GetCertHashString();
        _app = new SampleApp(kestrel: true, configure: o =>
        {
            o.ClientMetadataDocuments.AllowLoopback = true;
            o.ClientMetadataDocuments.ConfigureHttpHandler = handler =>
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint;
            var fixedClient = new McpOAuthClient { ClientId = "fixed-public-client", ClientName = "Fixed public client" };
            fixedClient.RedirectUris.Add(RedirectUri);
            o.Clients.Add(fixedClient);
            var confidential = new McpOAuthClient { ClientId = "fixed-confidential-client", ClientName = "Fixed confidential client", ClientSecret = Secret };
            confidential.RedirectUris.Add(RedirectUri);
            o.Clients.Add(confidential);
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _documents.DisposeAsync();
    }

    private async Task<McpClient> ConnectAsync(Action<ClientOAuthOptions> configure, int[] signIns)
    {
        var browserHttp = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var oauth = new ClientOAuthOptions
        {
            RedirectUri = new Uri(RedirectUri),
            AuthorizationCallbackHandler = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref signIns[0]);
                return SdkClients.ResultFrom(await new Browser(browserHttp).AuthorizeAsync(context.AuthorizationUri, "alice", "alice"));
            },
        };
        configure(oauth);
        var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(_app.BaseAddress, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp, OAuth = oauth });
        return await McpClient.CreateAsync(transport);
    }

    [Fact]
    [Compatibility("C# SDK 2.4.0", "streamable", "metadata-document")]
    public async Task ClientMetadataDocument_TheClientIdIsTheDocumentsUrl_NoRegistration()
    {
        var url = _documents.Url("/mcp-client.json");
        _documents.Serve("/mcp-client.json", new DocumentServer.Response(200, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["client_id"] = url,
            ["client_name"] = "C# client by document",
            ["redirect_uris"] = new[] { RedirectUri },
            ["grant_types"] = new[] { "authorization_code", "refresh_token" },
            ["token_endpoint_auth_method"] = "none",
        })));
        var signIns = new int[1];

        await using var client = await ConnectAsync(o => o.ClientMetadataDocumentUri = new Uri(url), signIns);
        var whoami = SdkClients.TextOf(await client.CallToolAsync("whoami"));

        Assert.Contains($"client_id={url}", whoami, StringComparison.Ordinal);
        Assert.Equal(1, signIns[0]);
        Assert.Equal(1, _documents.Hits("/mcp-client.json"));
    }

    [Fact]
    [Compatibility("C# SDK 2.4.0", "streamable", "pre-registered")]
    public async Task PreRegisteredPublicClient_UsesItsFixedId()
    {
        var signIns = new int[1];

        await using var client = await ConnectAsync(o => o.ClientId = "fixed-public-client", signIns);

        Assert.Contains("client_id=fixed-public-client", SdkClients.TextOf(await client.CallToolAsync("whoami")), StringComparison.Ordinal);
    }

    [Fact]
    [Compatibility("C# SDK 2.4.0", "streamable", "pre-registered", Note = "public or confidential")]
    public async Task PreRegisteredConfidentialClient_AuthenticatesWithItsSecret()
    {
        var signIns = new int[1];

        await using var client = await ConnectAsync(o =>
        {
            o.ClientId = "fixed-confidential-client";
            o.ClientSecret = Secret;
        }, signIns);

        Assert.Contains("client_id=fixed-confidential-client", SdkClients.TextOf(await client.CallToolAsync("whoami")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreRegisteredConfidentialClient_WithAWrongSecret_CannotConnect()
    {
        var signIns = new int[1];

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var client = await ConnectAsync(o =>
            {
                o.ClientId = "fixed-confidential-client";
                o.ClientSecret = Secret + "-wrong";
            }, signIns);
        });
    }

    [Fact]
    [Compatibility("TypeScript SDK 1.32.2", "streamable", "metadata-document")]
    public async Task TypeScriptClient_WithAClientMetadataDocument_UsesItsUrlAsClientId()
    {
        var url = _documents.Url("/ts-client.json");
        // Loopback redirect URIs match on any port (RFC 8252 §7.3): the client listens on a port of its own.
        _documents.Serve("/ts-client.json", new DocumentServer.Response(200, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["client_id"] = url,
            ["client_name"] = "TypeScript client by document",
            ["redirect_uris"] = new[] { "http://127.0.0.1/callback" },
            ["grant_types"] = new[] { "authorization_code", "refresh_token" },
            ["token_endpoint_auth_method"] = "none",
        })));

        var result = await TypeScriptClient.RunAsync("--url", new Uri(_app.BaseAddress, "/mcp").ToString(), "--transport", "http", "--user", "alice", "--password", "alice", "--client-metadata-url", url);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardError}");
        Assert.Contains($"client_id={url}", result.Output!.Value.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, _documents.Hits("/ts-client.json"));
    }

    [Theory]
    [InlineData("fixed-public-client", System.Net.HttpStatusCode.BadRequest)]        // identified; the missing code is the error
    [InlineData("fixed-confidential-client", System.Net.HttpStatusCode.Unauthorized)] // an empty secret is no secret
    public async Task EmptySecretInBasic_IdentifiesAPublicClient_ButNeverAuthenticatesAConfidentialOne(string clientId, System.Net.HttpStatusCode expected)
    {
        using var http = _app.CreateRawClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code_verifier"] = new string('v', 43) }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(clientId + ":")));

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        var error = await McpSseAuth.Tests.Integration.Http.ReadJsonAsync(response);
        Assert.Equal(expected == System.Net.HttpStatusCode.Unauthorized ? "invalid_client" : "invalid_request", error.GetProperty("error").GetString());
    }
}
