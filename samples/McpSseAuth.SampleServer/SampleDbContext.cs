using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace McpSseAuth.SampleServer;

/// <summary>
/// The sample's database when <c>ConnectionStrings:Postgres</c> is set: McpSseAuth's tables and the Data Protection keys,
/// beside whatever tables the app has of its own. Its migrations are in Migrations/ (<c>dotnet ef migrations add</c>); the
/// sample applies them at startup.
/// </summary>
public sealed class SampleDbContext(DbContextOptions<SampleDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddMcpOAuthEntries();
}

/// <summary>For <c>dotnet ef migrations add</c>: the context on PostgreSQL, without connecting.</summary>
public sealed class SampleDbContextFactory : IDesignTimeDbContextFactory<SampleDbContext>
{
    public SampleDbContext CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<SampleDbContext>().UseNpgsql("Host=localhost;Database=mcp_sample").Options);
}
