using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// Enterprise-managed authorization end to end, on both transports: the C# SDK's <c>IdentityAssertionGrantProvider</c>
/// takes the user's ID token from single sign-on, exchanges it at the enterprise provider (played by the test on Kestrel,
/// with its own key) for an ID-JAG, and the ID-JAG at the sample for an access token; the sample reads the provider's keys
/// from its discovery document; the SDK client then calls a tool as that user, who never saw a page of the sample.
/// </summary>
public sealed class EnterpriseManagedAuthorizationTests : IAsyncLifetime
{
    private const string ClientId = "enterprise-agent";
    private const string Secret = "agent-secret-0123456789abcdef0123456789";

    private readonly EnterpriseIdp _idp = new();
    private SampleApp _app = null!;

    public async Task InitializeAsync()
    {
        await _idp.StartAsync();
        _idp.McpClientId = ClientId;
        _app = new SampleApp(kestrel: true, configure: o =>
        {
            o.Clients.Add(new McpOAuthClient { ClientId = ClientId, ClientSecret = Secret });
            // Keys from the provider's discovery document (MetadataAddress defaults to it).
            var provider = new McpEnterpriseIdentityProvider { Name = "acme", Issuer = _idp.Issuer };
            provider.ClientIds.Add(ClientId);
            o.EnterpriseIdentityProviders.Add(provider);
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Theory]
    [InlineData("/mcp", HttpTransportMode.StreamableHttp)]
    [InlineData("/sse", HttpTransportMode.Sse)]
    [Compatibility("C# SDK 2.4.0", "streamable,sse", "enterprise", Note = "IdentityAssertionGrantProvider")]
    public async Task TheSdksIdentityAssertionGrantProvider_GetsAToken_AndTheSdkClientCallsAToolAsTheUser(string path, HttpTransportMode mode)
    {
        using var http = new HttpClient();
        var resource = new Uri(_app.BaseAddress, path);
        var provider = new IdentityAssertionGrantProvider(new IdentityAssertionGrantProviderOptions
        {
            ClientId = ClientId,
            ClientSecret = Secret,
            IdpTokenEndpoint = _idp.Issuer + "/token",
            IdpClientId = _idp.IdpClientId,
            IdpClientSecret = _idp.IdpClientSecret,
            IdTokenCallback = (_, _) => Task.FromResult(_idp.IdToken("alice")),
        }, http);

        var tokens = await provider.GetAccessTokenAsync(resource, new Uri(_app.BaseAddress.GetLeftPart(UriPartial.Authority)), CancellationToken.None);
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = resource,
            TransportMode = mode,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + tokens.AccessToken },
        }, http));
        var text = SdkClients.TextOf(await client.CallToolAsync("whoami"));

        Assert.Contains("sub=" + Users.UpstreamIdentity.SubjectFor(_idp.Issuer, "alice"), text, StringComparison.Ordinal);
        Assert.Contains("client_id=" + ClientId, text, StringComparison.Ordinal);
    }
}
