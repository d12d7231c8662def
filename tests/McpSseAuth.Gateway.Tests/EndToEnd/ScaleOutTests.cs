using System.Net;
using System.Security.Claims;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// Two gateway instances on one real redis-server (McpSseAuth.Redis), as behind a load balancer: a token and a user's
/// stored token from one are good on the other, and a legacy SSE message posted to the instance that does not hold the
/// stream is handed to the one that does, which relays it to the user's process there.
/// </summary>
public sealed class ScaleOutTests : IAsyncLifetime
{
    private const string Issuer = "http://gateway.test";
    private readonly RedisServer _redis = new();
    private GatewayHost _a = null!;
    private GatewayHost _b = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _a = await StartAsync();
        _b = await StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private Task<GatewayHost> StartAsync() => GatewayHost.StartAsync(
        o => o.McpServers["everything"] = Everything.Stdio(("GATEWAY_TOKEN", "{{token}}")),
        oauth: o =>
        {
            // One issuer for both instances, as behind one public name.
            o.Issuer = new Uri(Issuer);
            o.AllowInsecureHttp = true;
        },
        services: s => s.AddMcpOAuthRedis(_redis.ConnectionString));

    [Fact]
    public async Task TokensAndStoredTokens_FromOneInstance_AreGoodOnTheOther()
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _a.BaseAddress };
        var tokens = await new OAuthFlow(http).GetTokensAsync(Issuer + "/everything/mcp", "alice");
        var alice = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice")], "test"));
        await _a.Services.GetRequiredService<IMcpUserTokens>().SetServiceTokenAsync(alice, "everything", "stored-on-a");

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = _b.Url("/everything/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + tokens.AccessToken },
        });
        await using var onB = await McpClient.CreateAsync(transport);

        Assert.Contains("\"GATEWAY_TOKEN\": \"stored-on-a\"", SdkClients.TextOf(await onB.CallToolAsync("get-env")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALegacySseMessagePostedToTheOtherInstance_ReachesTheStreamsOwner_AndItsProcess()
    {
        using var toA = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _a.BaseAddress };
        using var toB = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _b.BaseAddress };
        var tokens = await new OAuthFlow(toA).GetTokensAsync(Issuer + "/everything/sse", "bob");
        await _a.Services.GetRequiredService<IMcpUserTokens>().SetServiceTokenAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "bob")], "test")), "everything", "bobs-token");

        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(toA, tokens.AccessToken, "/everything/sse");
        using (stream)
        using (reader)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await McpWire.PostJsonAsync(toB, messagePath, McpWire.Initialize, tokens.AccessToken)).StatusCode);
            Assert.Contains("\"protocolVersion\"", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
            await McpWire.PostJsonAsync(toB, messagePath, """{"jsonrpc":"2.0","method":"notifications/initialized"}""", tokens.AccessToken);

            var call = await McpWire.PostJsonAsync(toB, messagePath, """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get-env","arguments":{}}}""", tokens.AccessToken);

            Assert.Equal(HttpStatusCode.Accepted, call.StatusCode);
            string answer;
            do
            {
                answer = await McpWire.ReadDataEventAsync(reader);   // notifications (the server's list change) may come first
            }
            while (!answer.Contains("\"id\":3", StringComparison.Ordinal));

            Assert.Contains("bobs-token", answer, StringComparison.Ordinal);
        }
    }
}
