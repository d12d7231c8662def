using System.Net;
using System.Net.Http.Json;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using TestHttp = McpSseAuth.Tests.Integration.Http;

namespace McpSseAuth.Tests.Storage;

// A cap refuses only once it is reached, and at the bound the clients that never obtained a grant make room every time,
// even for registrations that arrive together: on every real store.

public sealed class MemoryRegistrationCapacityTests : RegistrationCapacityContract
{
    protected override IMcpOAuthStorage CreateStorage() => new InMemoryOAuthStorage(TimeProvider.System);
}

public sealed class SqliteRegistrationCapacityTests : RegistrationCapacityContract
{
    protected override IMcpOAuthStorage CreateStorage() => TestDatabases.Sqlite(TimeProvider.System);
}

public sealed class RedisRegistrationCapacityTests(RedisServer redis) : RegistrationCapacityContract, IClassFixture<RedisServer>
{
    protected override IMcpOAuthStorage CreateStorage() => TestDatabases.Redis(redis, TimeProvider.System);
}

public abstract class RegistrationCapacityContract
{
    protected abstract IMcpOAuthStorage CreateStorage();

    private SampleApp App(int bound)
    {
        var storage = CreateStorage();
        return new SampleApp(
            configure: o =>
            {
                o.Registration.MaxClients = bound;
                o.Registration.MaxPerAddress = int.MaxValue;
            },
            services: s => s.AddMcpOAuthStorage(_ => storage));
    }

    [Fact]
    public async Task ConcurrentRegistrations_PastThousandsOfClients_AreAllAcceptedBelowTheBound()
    {
        await using var app = App(bound: 10_000);
        using var http = app.CreateRawClient();

        var statuses = await RegisterAsync(http, count: 3_000, concurrency: 8);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
    }

    [Fact]
    public async Task AtTheBound_ClientsThatNeverObtainedAGrant_MakeRoomForRegistrationsArrivingTogether()
    {
        const int bound = 300;
        await using var app = App(bound);
        using var http = app.CreateRawClient();
        var used = await new OAuthFlow(http).GetTokensAsync(TestHttp.McpResource);
        Assert.All(await RegisterAsync(http, count: bound - 1, concurrency: 4), s => Assert.Equal(HttpStatusCode.Created, s));

        // Full: every newcomer evicts one of the unused clients, never the one with a grant.
        var statuses = await RegisterAsync(http, count: 100, concurrency: 16);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        using var refresh = await new OAuthFlow(http).RefreshAsync(used.ClientId, used.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    [Fact]
    public async Task ConcurrentRegistrations_PastTheBoundOfAThousand_EvictUnusedClientsAndAreNeverRefused()
    {
        await using var app = App(bound: 1_000);
        using var http = app.CreateRawClient();

        // One first, alone: it reads the storage's count while nothing else is in flight (a first read under a burst, slow
        // on a busy machine, is the unit test Store_FilledWhileACountIsRead_CountsTheRegistrationsThatFinishedMeanwhile).
        Assert.Equal([HttpStatusCode.Created], await RegisterAsync(http, count: 1, concurrency: 1));
        // Twice the bound, 16 at a time: below it every registration is stored, at it each evicts the oldest unused client.
        var statuses = await RegisterAsync(http, count: 2_000 - 1, concurrency: 16);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        // On one instance the bound is never passed. Registrations that finish while the count is read from the storage
        // may be in that count already and are counted again (the safe side: a few unused clients evicted early, until the
        // next read), as many as finish during the read: a slow read on a busy machine counted 33 twice.
        var stored = await app.Services.GetRequiredService<IMcpOAuthStorage>().CountAsync("clients", default);
        Assert.InRange(stored, 1_000 - 100, 1_000);
    }

    private static async Task<List<HttpStatusCode>> RegisterAsync(HttpClient http, int count, int concurrency)
    {
        var statuses = new List<HttpStatusCode>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                using var response = await http.PostAsJsonAsync("/oauth/register", new
                {
                    client_name = "capacity",
                    redirect_uris = new[] { OAuthFlow.RedirectUri },
                    token_endpoint_auth_method = "none",
                });
                lock (statuses)
                {
                    statuses.Add(response.StatusCode);
                }
            }
        })));
        return statuses;
    }
}
