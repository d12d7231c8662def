using McpSseAuth.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Integration;

/// <summary>The sample's <c>Storage:Memory</c> setting keeps its state in memory, in place of the SQLite file.</summary>
public sealed class SampleStorageSettingTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mcpsseauth-sample-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void StorageMemory_KeepsTheStateInMemory_AndCreatesNoDatabase()
    {
        var database = Path.Combine(_folder, "mcp-oauth.db");
        using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseEnvironment("Development")
            .UseSetting("Storage:Memory", "true")
            .UseSetting("Storage:Sqlite", database));

        var storage = app.Services.GetRequiredService<IMcpOAuthStorage>();

        Assert.IsType<InMemoryOAuthStorage>(storage);
        Assert.False(File.Exists(database));
    }

    [Fact]
    public void WithoutStorageMemory_TheSampleUsesItsSqliteFile()
    {
        var database = Path.Combine(_folder, "mcp-oauth.db");
        using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseEnvironment("Development")
            .UseSetting("Storage:Sqlite", database));

        var storage = app.Services.GetRequiredService<IMcpOAuthStorage>();

        Assert.IsNotType<InMemoryOAuthStorage>(storage);
        Assert.True(File.Exists(database));
    }
}
