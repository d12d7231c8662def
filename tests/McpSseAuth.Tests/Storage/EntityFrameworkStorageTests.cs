using McpSseAuth.Grants;
using McpSseAuth.Storage;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Tests.Unit;

namespace McpSseAuth.Tests.Storage;

/// <summary>The Entity Framework Core storage keeps the contract on a real PostgreSQL server, a second instance racing the first through its own contexts.</summary>
public sealed class EntityFrameworkPostgresStorageTests : StorageContract
{
    private readonly string _database = EntityFrameworkDatabases.Postgres();

    protected override IMcpOAuthStorage Create(TimeProvider time) => EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.PostgresOptions(_database), time);

    protected override IMcpOAuthStorage CreateAnother(TimeProvider time) => EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.PostgresOptions(_database), time);
}

/// <summary>The Entity Framework Core storage keeps the contract on SQLite through EF Core's SQLite provider.</summary>
public sealed class EntityFrameworkSqliteStorageTests : StorageContract
{
    private readonly string _database = EntityFrameworkDatabases.Sqlite();

    protected override IMcpOAuthStorage Create(TimeProvider time) => EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.SqliteOptions(_database), time);

    protected override IMcpOAuthStorage CreateAnother(TimeProvider time) => EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.SqliteOptions(_database), time);
}

public sealed class PostgresGrantStoreTests()
    : GrantStoreContract((time, options) => new GrantStore(EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.PostgresOptions(EntityFrameworkDatabases.Postgres()), time), time, options));

public sealed class PostgresConsentStoreTests()
    : ConsentStoreContract(time => new ConsentStore(EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.PostgresOptions(EntityFrameworkDatabases.Postgres()), time), time));

public sealed class PostgresClientStoreTests : ClientStoreContract
{
    protected override IMcpOAuthStorage CreateStorage(TimeProvider time) => EntityFrameworkDatabases.Storage(EntityFrameworkDatabases.PostgresOptions(EntityFrameworkDatabases.Postgres()), time);
}
