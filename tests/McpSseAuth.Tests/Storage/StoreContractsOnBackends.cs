using McpSseAuth.Grants;
using McpSseAuth.Redis;
using McpSseAuth.Sqlite;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Tests.Unit;
using StackExchange.Redis;

namespace McpSseAuth.Tests.Storage;

// The store contracts (codes, refresh tokens, pending requests, revocations; consents, grants, sign-outs; clients) run on
// every storage backend, not only on memory: one suite, every implementation.

public sealed class SqliteGrantStoreTests() : GrantStoreContract((time, options) => new GrantStore(TestDatabases.Sqlite(time), time, options));

public sealed class SqliteConsentStoreTests() : ConsentStoreContract(time => new ConsentStore(TestDatabases.Sqlite(time), time));

public sealed class SqliteClientStoreTests : ClientStoreContract
{
    protected override IMcpOAuthStorage CreateStorage(TimeProvider time) => TestDatabases.Sqlite(time);
}

public sealed class RedisGrantStoreTests(RedisServer redis)
    : GrantStoreContract((time, options) => new GrantStore(TestDatabases.Redis(redis, time), time, options)), IClassFixture<RedisServer>;

public sealed class RedisConsentStoreTests(RedisServer redis)
    : ConsentStoreContract(time => new ConsentStore(TestDatabases.Redis(redis, time), time)), IClassFixture<RedisServer>;

public sealed class RedisClientStoreTests(RedisServer redis) : ClientStoreContract, IClassFixture<RedisServer>
{
    protected override IMcpOAuthStorage CreateStorage(TimeProvider time) => TestDatabases.Redis(redis, time);
}

/// <summary>A fresh storage per test: a new SQLite file (removed when the test process ends), or a new key prefix in Redis.</summary>
internal static class TestDatabases
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "mcpsseauth-stores-" + Environment.ProcessId);
    private static readonly Dictionary<string, ConnectionMultiplexer> Connections = [];

    static TestDatabases()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        };
    }

    public static IMcpOAuthStorage Sqlite(TimeProvider time)
        => new SqliteOAuthStorage(Path.Combine(Root, Guid.NewGuid().ToString("N"), "oauth.db"), time);

    public static IMcpOAuthStorage Redis(RedisServer redis, TimeProvider time)
    {
        ConnectionMultiplexer connection;
        lock (Connections)
        {
            if (!Connections.TryGetValue(redis.ConnectionString, out connection!))
            {
                Connections[redis.ConnectionString] = connection = ConnectionMultiplexer.Connect(RedisConnection.Options(redis.ConnectionString));
            }
        }

        return new RedisOAuthStorage(connection, "stores-" + Guid.NewGuid().ToString("N")[..12] + ":", time);
    }
}
