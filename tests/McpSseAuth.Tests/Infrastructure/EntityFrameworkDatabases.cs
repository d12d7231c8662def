using McpSseAuth.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>A context as an app would write one for McpSseAuth: its tables mapped, Data Protection keys kept beside them.</summary>
public sealed class TestOAuthDbContext(DbContextOptions<TestOAuthDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddMcpOAuthEntries();
}

/// <summary>
/// Fresh databases for the Entity Framework Core storage: on the run's <see cref="PostgresServer"/>, each a copy of a
/// template that has McpSseAuth's tables; or a new SQLite file.
/// </summary>
internal static class EntityFrameworkDatabases
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "mcpsseauth-ef-" + Environment.ProcessId);
    private static readonly Lock Gate = new();
    private static string? _template;

    static EntityFrameworkDatabases() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    };

    /// <summary>A new PostgreSQL database with McpSseAuth's tables; its connection string.</summary>
    public static string Postgres()
    {
        var server = PostgresServer.SharedAsync().GetAwaiter().GetResult();
        lock (Gate)
        {
            if (_template is null)
            {
                var name = "template_" + Guid.NewGuid().ToString("N")[..12];
                Execute(server.AdminConnectionString, $"CREATE DATABASE {name}");
                using (var context = new TestOAuthDbContext(new DbContextOptionsBuilder<TestOAuthDbContext>().UseNpgsql(ConnectionString(server, name)).Options))
                {
                    context.Database.EnsureCreated();
                }

                NpgsqlConnection.ClearAllPools();
                _template = name;
            }

            var database = "t_" + Guid.NewGuid().ToString("N")[..16];
            Execute(server.AdminConnectionString, $"CREATE DATABASE {database} TEMPLATE {_template}");
            return ConnectionString(server, database);
        }
    }

    /// <summary>A new SQLite file with McpSseAuth's tables; its connection string.</summary>
    public static string Sqlite()
    {
        var path = Path.Combine(Root, Guid.NewGuid().ToString("N") + ".db");
        Directory.CreateDirectory(Root);
        var connection = $"Data Source={path}";
        using var context = new TestOAuthDbContext(new DbContextOptionsBuilder<TestOAuthDbContext>().UseSqlite(connection).Options);
        context.Database.EnsureCreated();
        return connection;
    }

    public static DbContextOptions<TestOAuthDbContext> PostgresOptions(string connection) => new DbContextOptionsBuilder<TestOAuthDbContext>().UseNpgsql(connection).Options;

    public static DbContextOptions<TestOAuthDbContext> SqliteOptions(string connection) => new DbContextOptionsBuilder<TestOAuthDbContext>().UseSqlite(connection).Options;

    /// <summary>The storage as <c>AddMcpOAuthEntityFrameworkCore</c> makes it, on contexts made with <paramref name="options"/>.</summary>
    public static EntityFrameworkOAuthStorage Storage(DbContextOptions<TestOAuthDbContext> options, TimeProvider time) => new(Contexts(options), time);

    public static ContextSource Contexts(DbContextOptions<TestOAuthDbContext> options) => new(() =>
    {
        var context = new TestOAuthDbContext(options);
        return ValueTask.FromResult<(DbContext, IAsyncDisposable)>((context, context));
    });

    private static string ConnectionString(PostgresServer server, string database)
        => new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = database, Pooling = true, MaxPoolSize = 50 }.ConnectionString;

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
