using System.Text.Json;
using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Users;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Storage;

// Every stored record round-trips with its optional fields null, and with its strings and lists empty, through every
// storage provider: what a request left out comes back left out, never as something else or as a failure.

public sealed class MemoryRecordRoundTripTests : RecordRoundTripContract
{
    protected override IMcpOAuthStorage CreateStorage() => new InMemoryOAuthStorage(TimeProvider.System);
}

public sealed class SqliteRecordRoundTripTests : RecordRoundTripContract
{
    protected override IMcpOAuthStorage CreateStorage() => TestDatabases.Sqlite(TimeProvider.System);
}

public sealed class RedisRecordRoundTripTests(RedisServer redis) : RecordRoundTripContract, IClassFixture<RedisServer>
{
    protected override IMcpOAuthStorage CreateStorage() => TestDatabases.Redis(redis, TimeProvider.System);
}

public abstract class RecordRoundTripContract
{
    // Per test, not per class: a record made "a minute from now" must not have expired by the time a late test runs.
    private readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    protected abstract IMcpOAuthStorage CreateStorage();

    public static TheoryData<bool> Shapes => new() { false, true };

    private static void AssertSame<T>(T expected, T? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
    }

    private static string? Optional(bool empty) => empty ? "" : null;

    private static GrantSubject User(bool empty) => new("user-1", Optional(empty), empty ? new Dictionary<string, string[]>() : null);

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ClientRegistration_RoundTrips(bool empty)
    {
        var store = new ClientStore(CreateStorage(), Options.Create(new McpOAuthOptions()));
        var client = new ClientRegistration
        {
            ClientId = "client-" + empty,
            ClientName = Optional(empty),
            ClientUri = Optional(empty),
            RedirectUris = ["http://127.0.0.1/cb"],
            GrantTypes = empty ? [] : ["authorization_code"],
            ResponseTypes = empty ? [] : ["code"],
            TokenEndpointAuthMethod = "none",
            ApplicationType = Optional(empty),
            Scope = Optional(empty),
            SoftwareId = Optional(empty),
            SoftwareVersion = Optional(empty),
            IssuedAt = Now,
        };

        Assert.True(await store.TryAddAsync(client, default));

        AssertSame(client, await store.FindAsync(client.ClientId, default));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task AuthorizationCode_RefreshToken_AndPendingAuthorization_RoundTrip(bool empty)
    {
        var store = new GrantStore(CreateStorage(), TimeProvider.System, Options.Create(new McpOAuthOptions()));
        var code = new AuthorizationCode
        {
            ClientId = "c",
            RedirectUri = "http://127.0.0.1/cb",
            RedirectUriGiven = false,
            CodeChallenge = "challenge",
            User = User(empty),
            Scopes = [],
            Resources = [],
            GrantId = "g",
            IssuedAt = Now,
            ExpiresAt = Now.AddMinutes(1),
        };
        var refresh = new RefreshToken { ClientId = "c", User = User(empty), Scopes = [], Resources = [], GrantId = "g", GrantCreatedAt = Now, ExpiresAt = Now.AddDays(1) };
        var pending = new PendingAuthorization
        {
            ClientId = "c",
            RedirectUri = "http://127.0.0.1/cb",
            RedirectUriGiven = false,
            State = Optional(empty),
            CodeChallenge = "challenge",
            Scopes = [],
            Resources = [],
            Subject = "user-1",
            ExpiresAt = Now.AddMinutes(10),
        };

        Assert.True(await ((IAuthorizationCodeStore)store).StoreAsync("code", code, default));
        await ((IRefreshTokenStore)store).StoreAsync("refresh", refresh, default);
        Assert.True(await ((IPendingAuthorizationStore)store).StoreAsync("pending", pending, default));

        AssertSame(code, await ((IAuthorizationCodeStore)store).FindAsync("code", default));
        AssertSame(refresh, await ((IRefreshTokenStore)store).FindAsync("refresh", default));
        AssertSame(pending, await ((IPendingAuthorizationStore)store).FindAsync("pending", default));
    }

    [Fact]
    public async Task Consent_AndGrantRecord_WithEmptyLists_RoundTrip()
    {
        var store = new ConsentStore(CreateStorage(), TimeProvider.System);
        var consent = new Consent { Subject = "user-1", ClientId = "c", Scopes = [], Resources = [], RedirectUris = [], GrantedAt = Now };
        var grant = new GrantRecord { GrantId = "g", Subject = "user-1", ClientId = "c", Scopes = [], Resources = [], CreatedAt = Now, LastUsedAt = Now, ExpiresAt = Now.AddDays(1) };

        await ((IConsentStore)store).StoreAsync(consent, default);
        await ((IGrantStore)store).StoreAsync(grant, default);

        AssertSame(consent, await ((IConsentStore)store).FindAsync("user-1", "c", default));
        AssertSame(grant, Assert.Single(await ((IGrantStore)store).ListAsync("user-1", default)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task UpstreamUser_WithoutNameEmailOrDomain_RoundTrips(bool empty)
    {
        var storage = CreateStorage();
        var user = new UpstreamIdentity("oidc", "https://idp.example", "s", "ext:s", Optional(empty), Optional(empty), false, Optional(empty), [], [], EmailVerifiedSent: false);

        await storage.SetAsync("upstream-user", StoredJson.Encode(UserJson.Default, user), Now.AddDays(1), null, default);

        AssertSame(user, StoredJson.Decode<UpstreamIdentity>(UserJson.Default, await storage.GetAsync("upstream-user", default)));
    }
}
