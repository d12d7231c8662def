using McpSseAuth.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace McpSseAuth.Tests.Storage;

/// <summary>
/// SQL Server: no server runs on this machine (Debian has no package of it), so the storage's contract runs on PostgreSQL
/// and SQLite. What holds without a server is checked here: SQL Server's provider turns McpSseAuth's model into tables with
/// the keys, indexes and column types the storage relies on (a fixed-width ASCII id, binary values, 64-bit times).
/// </summary>
public sealed class EntityFrameworkSqlServerModelTests
{
    private static string CreateScript()
    {
        using var db = new TestOAuthDbContext(new DbContextOptionsBuilder<TestOAuthDbContext>().UseSqlServer("Server=127.0.0.1;Database=unused").Options);
        return db.Database.GenerateCreateScript();
    }

    [Fact]
    public void Model_OnSqlServer_EntriesTableHasAnAsciiKeyBinaryValuesAndIndexesForPartitionsAndExpiry()
    {
        var script = CreateScript();

        Assert.Contains("CREATE TABLE [mcp_oauth_entries]", script, StringComparison.Ordinal);
        Assert.Contains("[id] varchar(64) NOT NULL", script, StringComparison.Ordinal);
        Assert.Contains("[value] varbinary(max) NOT NULL", script, StringComparison.Ordinal);
        Assert.Contains("[expires_at] bigint NOT NULL", script, StringComparison.Ordinal);
        Assert.Contains("CONSTRAINT [PK_mcp_oauth_entries] PRIMARY KEY ([id])", script, StringComparison.Ordinal);
        Assert.Contains("ON [mcp_oauth_entries] ([partition_id])", script, StringComparison.Ordinal);
        Assert.Contains("ON [mcp_oauth_entries] ([expires_at])", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_OnSqlServer_MessagesTableHasAnIncreasingId()
    {
        var script = CreateScript();

        Assert.Contains("CREATE TABLE [mcp_oauth_messages]", script, StringComparison.Ordinal);
        Assert.Contains("[id] bigint NOT NULL IDENTITY", script, StringComparison.Ordinal);
        Assert.Contains("[payload] varbinary(max) NOT NULL", script, StringComparison.Ordinal);
    }
}
