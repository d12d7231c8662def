using System.Text.Json;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// A second real server from npm, <c>@modelcontextprotocol/server-memory</c> (a knowledge graph kept in a file), as a team
/// would run it: one process per user, each with its own file through <c>{{user.sub}}</c>, so no user sees another's graph.
/// </summary>
public sealed class MemoryServerTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mcpsseauth-memory-").FullName;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        var entry = Path.Combine(Everything.Folder, "node_modules", "@modelcontextprotocol", "server-memory", "dist", "index.js");
        Assert.True(File.Exists(entry), "server-memory is not installed: run 'npm ci' in tests/e2e-ts (the README's test command does).");
        _host = await GatewayHost.StartAsync(o =>
        {
            var memory = new McpGatewayServer { Command = "node" };
            memory.Args.Add(entry);
            memory.Env["MEMORY_FILE_PATH"] = Path.Combine(_folder, "memory-{{user.sub}}.jsonl");
            o.McpServers["memory"] = memory;
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task EachUser_KeepsTheirOwnGraph()
    {
        await using var alice = await SdkClients.ConnectAsync(_host.Url("/memory/mcp"), HttpTransportMode.StreamableHttp, "alice");
        await using var bob = await SdkClients.ConnectAsync(_host.Url("/memory/sse"), HttpTransportMode.Sse, "bob");

        await alice.CallToolAsync("create_entities", new Dictionary<string, object?>
        {
            ["entities"] = new[] { new { name = "Project Lighthouse", entityType = "project", observations = new[] { "alice's secret plan" } } },
        });

        var aliceGraph = JsonSerializer.Serialize((await alice.CallToolAsync("read_graph")).Content, McpJsonUtilities.DefaultOptions);
        var bobGraph = JsonSerializer.Serialize((await bob.CallToolAsync("read_graph")).Content, McpJsonUtilities.DefaultOptions);
        Assert.Contains("Project Lighthouse", aliceGraph, StringComparison.Ordinal);
        Assert.DoesNotContain("Project Lighthouse", bobGraph, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_folder, "memory-alice.jsonl")));
    }
}
