using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// Scale-out and durability with a real redis-server: the <see cref="ScaleOutContract"/> on instances that share one Redis
/// under a key prefix of their own; and, Redis's own, a crashed instance loses nothing, a Redis outage answers 503 and
/// heals by itself, an instance started during one serves once Redis is back, Redis refusing writes answers 503, and the
/// embedded default (SQLite) keeps everything across a restart.
/// </summary>
/// <remarks>
/// Tests that stop Redis or run the sample as processes (whose key prefix is the sample's default) own a Redis server; the
/// others share the class's under a prefix of their own.
/// </remarks>
public sealed class ScaleOutTests(RedisServer redis) : ScaleOutContract, IClassFixture<RedisServer>
{
    protected override Task<SampleCluster> StartClusterAsync(Action<IServiceCollection>? services = null, Action<McpOAuthOptions>? configure = null) => SampleCluster.StartAsync(redis, configure: configure, services: services);

    // ---- 5. an instance killed and started again ----

    [Fact]
    public async Task InstanceKilledMidRun_TheOtherCarriesOn_AndTheRestartedOneKnowsEveryone()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        var ports = LoopbackPorts.Free(2);
        var issuer = "http://127.0.0.1:" + ports[0].ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Redis"] = ownRedis.ConnectionString,
            ["McpOAuth__Issuer"] = issuer,
            ["McpOAuth__Registration__MaxPerAddress"] = "1000",
        };
        await using var processA = new SampleProcess(ports[0], environment);
        await using var processB = new SampleProcess(ports[1], environment);
        await processA.StartAsync();
        await processB.StartAsync();
        using var a = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = processA.BaseAddress };
        using var b = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = processB.BaseAddress };

        try
        {
            var flow = new OAuthFlow(a);
            var clientId = await flow.RegisterAsync();
            var browser = new Browser(a);
            var code = TestHttp.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, issuer + "/mcp"), "alice", "alice"))["code"];
            using var redeemed = await flow.RedeemAsync(clientId, code);
            var tokens = await ReadTokensAsync(redeemed, clientId);
            Assert.Contains("user=alice", await WhoAmIAsync(a, tokens.AccessToken), StringComparison.Ordinal);
            // A legacy SSE stream A holds when it dies.
            var sse = await new OAuthFlow(a).GetTokensAsync(issuer + "/sse", "bob");
            var (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, sse.AccessToken);
            using (stream)
            using (reader)
            {
                using var relayed = await McpWire.PostJsonAsync(b, messagePath, McpWire.Initialize, sse.AccessToken);
                Assert.Equal(HttpStatusCode.Accepted, relayed.StatusCode);

                // A Streamable HTTP session A holds, served through B while A lives.
                string streamable;
                using (var init = await McpWire.PostJsonAsync(a, "/mcp", McpWire.Initialize, tokens.AccessToken))
                {
                    Assert.Equal(HttpStatusCode.OK, init.StatusCode);
                    streamable = Assert.Single(init.Headers.GetValues("Mcp-Session-Id"));
                }

                using (var notified = await McpWire.PostJsonAsync(b, "/mcp", Initialized, tokens.AccessToken, streamable))
                {
                    Assert.Equal(HttpStatusCode.Accepted, notified.StatusCode);
                }

                using (var listed = await McpWire.PostJsonAsync(b, "/mcp", McpWire.ListTools, tokens.AccessToken, streamable))
                {
                    Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
                    Assert.Contains("whoami", await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }

                await processA.KillAsync();

                // B still finds the sessions listed, but their holder does not answer: 404, so the client opens a new stream
                // or starts a new session, without waiting on a holder that is gone.
                using var orphaned = await McpWire.PostJsonAsync(b, messagePath, McpWire.ListTools, sse.AccessToken);
                Assert.Equal(HttpStatusCode.NotFound, orphaned.StatusCode);
                var asked = Stopwatch.StartNew();
                using var orphanedStreamable = await McpWire.PostJsonAsync(b, "/mcp", McpWire.ListTools, tokens.AccessToken, streamable);
                Assert.Equal(HttpStatusCode.NotFound, orphanedStreamable.StatusCode);
                Assert.True(asked.Elapsed < FailFast, $"B took {asked.Elapsed} to give up on A.");
            }

            using var refreshedOnB = await new OAuthFlow(b).RefreshAsync(clientId, tokens.RefreshToken);
            var rotated = await ReadTokensAsync(refreshedOnB, clientId);
            Assert.Contains("user=alice", await WhoAmIAsync(b, rotated.AccessToken), StringComparison.Ordinal);

            await processA.StartAsync();

            // Tokens issued before and during A's absence work on A; the rotated refresh token too.
            Assert.Contains("user=alice", await WhoAmIAsync(a, rotated.AccessToken), StringComparison.Ordinal);
            Assert.Contains("user=alice", await WhoAmIAsync(a, tokens.AccessToken), StringComparison.Ordinal);
            using var refreshedOnA = await flow.RefreshAsync(clientId, rotated.RefreshToken);
            await ReadTokensAsync(refreshedOnA, clientId);

            // The client is still registered and Alice still signed in: a new authorization on A asks for no password.
            var again = new OAuthFlow(a);
            var newCode = await AuthorizeSignedInAsync(browser, again.AuthorizeUrl(clientId, issuer + "/mcp"));
            using var redeemedAgain = await again.RedeemAsync(clientId, newCode);
            await ReadTokensAsync(redeemedAgain, clientId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{e.Message}\n--- instance A:\n{processA.Output}\n--- instance B:\n{processB.Output}", e);
        }
    }

    // ---- 6. Redis stopped and started ----

    [Fact]
    public async Task RedisDown_Answers503TemporarilyUnavailable_ThenRecoversByItself_WithNothingLost()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await using var cluster = await SampleCluster.StartAsync(ownRedis);
        using var a = cluster[0].CreateRawClient();
        using var b = cluster[1].CreateRawClient();
        var tokens = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/mcp"), "alice");
        var sessionId = await InitializeStreamableAsync(a, tokens.AccessToken);
        var grantBefore = Assert.Single(await cluster.Service<IMcpUserAccess>(1).ListGrantsAsync("alice"));

        await ownRedis.StopAsync();

        var clock = Stopwatch.StartNew();
        using (var refresh = await new OAuthFlow(b).RefreshAsync(tokens.ClientId, tokens.RefreshToken))
        {
            await AssertTemporarilyUnavailableAsync(refresh);
        }

        using (var call = await McpWire.PostJsonAsync(a, "/mcp", WhoAmICall, tokens.AccessToken, sessionId))
        {
            await AssertTemporarilyUnavailableAsync(call);
        }

        using (var initialize = await McpWire.PostJsonAsync(b, "/mcp", McpWire.Initialize, tokens.AccessToken))
        {
            await AssertTemporarilyUnavailableAsync(initialize);
        }

        using (var register = await b.PostAsync("/oauth/register", new StringContent(
            """{"client_name":"During the outage","redirect_uris":["http://127.0.0.1:7777/callback"],"token_endpoint_auth_method":"none"}""",
            System.Text.Encoding.UTF8,
            "application/json")))
        {
            await AssertTemporarilyUnavailableAsync(register);
        }

        Assert.True(clock.Elapsed < FailFast * 4, $"Four requests took {clock.Elapsed.TotalSeconds:0.0} s to fail.");

        await ownRedis.StartAsync();

        // Both instances serve again by themselves (their multiplexers reconnect); until then they answer 503, never 500.
        foreach (var http in new[] { a, b })
        {
            await EventuallyAsync(() => McpWire.PostJsonAsync(http, "/mcp", McpWire.Initialize, tokens.AccessToken));
        }

        // Nothing was half-written: the refresh token refused during the outage is still unspent, the grant still there.
        using var refreshed = await new OAuthFlow(b).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        var rotated = await ReadTokensAsync(refreshed, tokens.ClientId);
        Assert.Contains("user=alice", await WhoAmIAsync(a, rotated.AccessToken), StringComparison.Ordinal);
        var grantAfter = Assert.Single(await cluster.Service<IMcpUserAccess>(0).ListGrantsAsync("alice"));
        Assert.Equal(grantBefore.GrantId, grantAfter.GrantId);
        Assert.Equal(tokens.ClientId, grantAfter.ClientId);
        using var refreshedOnA = await new OAuthFlow(a).RefreshAsync(tokens.ClientId, rotated.RefreshToken);
        await ReadTokensAsync(refreshedOnA, tokens.ClientId);

        // The bus came back too (subscriptions renewed by themselves, shortly after commands work again): a message posted
        // to B reaches A's stream — until A's subscription is back, B answers 404 after its relay timeout and the client
        // opens a new stream, as a real one would — and a revocation on B closes it.
        var sse = await new OAuthFlow(a).GetTokensAsync(cluster.Resource("/sse"), "bob");
        var relayed = Stopwatch.StartNew();
        var (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, sse.AccessToken);
        while (true)
        {
            using var init = await McpWire.PostJsonAsync(b, messagePath, McpWire.Initialize, sse.AccessToken);
            if (init.StatusCode == HttpStatusCode.Accepted)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.NotFound, init.StatusCode);
            Assert.True(relayed.Elapsed < Recovery, $"B still cannot hand messages to A after {relayed.Elapsed.TotalSeconds:0} s with Redis back.");
            reader.Dispose();
            stream.Dispose();
            (stream, reader, messagePath) = await McpWire.OpenSseAsync(a, sse.AccessToken);
        }

        using (stream)
        using (reader)
        {
            Assert.Contains("\"protocolVersion\"", await McpWire.ReadDataEventAsync(reader), StringComparison.Ordinal);
            Assert.Equal(1, (await cluster.Service<IMcpUserAccess>(1).RevokeClientAsync("bob", sse.ClientId)).GrantsRevoked);
            await McpWire.ReadUntilClosedAsync(reader);
        }
    }

    // ---- 7. the embedded default: SQLite ----

    [Fact]
    public async Task Sqlite_ServerStoppedAndStarted_KeepsTheClient_ItsRefreshToken_ItsAccessTokens_AndTheSignIn()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mcpsseauth-scale-" + Guid.NewGuid().ToString("N"));
        var database = Path.Combine(folder, "mcp-oauth.db");
        var port = LoopbackPorts.Free();
        var issuer = "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        SampleApp Start() => new(kestrel: true, port: port, configure: o => o.Issuer = new Uri(issuer), services: s => s.AddMcpOAuthSqlite(database));
        // One client and one browser for both runs, as a user's would be.
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(issuer) };
        var browser = new Browser(http);
        try
        {
            TokenSet tokens;
            await using (var first = Start())
            {
                _ = first.BaseAddress;   // starts it
                var flow = new OAuthFlow(http);
                var clientId = await flow.RegisterAsync();
                var code = TestHttp.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, issuer + "/mcp"), "alice", "alice"))["code"];
                using var redeemed = await flow.RedeemAsync(clientId, code);
                tokens = await ReadTokensAsync(redeemed, clientId);
                Assert.Contains("user=alice", await WhoAmIAsync(http, tokens.AccessToken), StringComparison.Ordinal);
            }

            await using (var second = Start())
            {
                Assert.Equal(new Uri(issuer), second.BaseAddress);
                // Signed with a key the first run created: it was kept, and so was the grant.
                Assert.Contains("user=alice", await WhoAmIAsync(http, tokens.AccessToken), StringComparison.Ordinal);
                using var refreshed = await new OAuthFlow(http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
                var rotated = await ReadTokensAsync(refreshed, tokens.ClientId);
                Assert.Contains("client_id=" + tokens.ClientId, await WhoAmIAsync(http, rotated.AccessToken), StringComparison.Ordinal);
                Assert.Equal(tokens.ClientId, Assert.Single(await second.Services.GetRequiredService<IMcpUserAccess>().ListGrantsAsync("alice")).ClientId);

                // The browser's sign-in cookie is still good (the Data Protection keys were kept too), the client still known.
                var again = new OAuthFlow(http);
                var code = await AuthorizeSignedInAsync(browser, again.AuthorizeUrl(tokens.ClientId, issuer + "/mcp"));
                using var redeemedAgain = await again.RedeemAsync(tokens.ClientId, code);
                await ReadTokensAsync(redeemedAgain, tokens.ClientId);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // ---- what a review found: Redis refusing writes, an instance started during an outage, refreshes racing ----

    [Fact]
    public async Task RedisOutOfMemory_Answers503_NotA500_AndServesAgainOnceItHasRoom()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await using var cluster = await SampleCluster.StartAsync(ownRedis, instances: 1);
        using var http = cluster[0].CreateRawClient();
        var flow = new OAuthFlow(http);
        var tokens = await flow.GetTokensAsync(cluster.Resource("/mcp"));

        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(ownRedis.ConnectionString + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        await server.ConfigSetAsync("maxmemory-policy", "noeviction");
        await server.ConfigSetAsync("maxmemory", "1");
        try
        {
            // An error reply, not a lost connection: still the storage's fault, still 503, and the token is not spent.
            await AssertTemporarilyUnavailableAsync(await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken));
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
        }

        using var refreshed = await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken);
        await ReadTokensAsync(refreshed, tokens.ClientId);
    }

    [Fact]
    public async Task InstanceStartedWhileRedisIsDown_Starts_Answers503_AndServesOnceRedisIsUp()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await ownRedis.StopAsync();

        await using var cluster = await SampleCluster.StartAsync(ownRedis, instances: 1);
        using var http = cluster[0].CreateRawClient();
        await AssertTemporarilyUnavailableAsync(await http.PostAsync("/oauth/register", JsonContent("""{"redirect_uris":["http://127.0.0.1:7777/callback"]}""")));
        await AssertTemporarilyUnavailableAsync(await http.GetAsync("/oauth/jwks"));

        await ownRedis.StartAsync();
        await EventuallyAsync(() => http.GetAsync("/oauth/jwks"));
        var tokens = await new OAuthFlow(http).GetTokensAsync(cluster.Resource("/mcp"));
        Assert.Contains("user=alice", await WhoAmIAsync(http, tokens.AccessToken), StringComparison.Ordinal);
    }
}
