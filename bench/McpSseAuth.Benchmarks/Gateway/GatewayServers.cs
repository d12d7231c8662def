using System.Globalization;
using System.Text.Json;
using McpSseAuth.Benchmarks.AuthServers;

namespace McpSseAuth.Benchmarks.Gateway;

/// <summary>
/// The servers of the relay benchmark, on free loopback ports: server-everything over Streamable HTTP (the remote
/// server), supergateway bridging server-everything over stdio (the plain bridge, no authentication), and the ready
/// gateway host (samples/McpSseAuth.GatewayHost, state in memory) in front of both: <c>/remote/mcp</c> relays to the
/// remote server, <c>/stdio/mcp</c> starts server-everything per session as supergateway does. All from bench/node.
/// </summary>
internal static class GatewayServers
{
    private static string Everything => Path.Combine(BenchPaths.NodeFolder, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

    private static string Supergateway => Path.Combine(BenchPaths.NodeFolder, "node_modules", "supergateway", "dist", "index.js");

    // The npm servers listen on every interface; this makes them listen on loopback alone.
    private static string Loopback => Path.Combine(Servers.RepositoryRoot, "tests", "e2e-ts", "loopback.mjs");

    public static Task<ServerProcess> StartRemoteAsync()
    {
        var port = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        return ServerProcess.StartAsync(
            "server-everything (direct)", BenchPaths.NodeBinary, ["--import", Loopback, Everything, "streamableHttp"],
            new Dictionary<string, string> { ["PORT"] = port, ["NODE_ENV"] = "production" },
            new Uri($"http://127.0.0.1:{port}"), "/mcp", BenchPaths.NodeFolder, anyAnswer: true);
    }

    public static Task<ServerProcess> StartSupergatewayAsync()
    {
        var port = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        return ServerProcess.StartAsync(
            "supergateway → stdio", BenchPaths.NodeBinary,
            ["--import", Loopback, Supergateway, "--stdio", $"\"{BenchPaths.NodeBinary}\" \"{Everything}\" stdio", "--outputTransport", "streamableHttp", "--stateful", "--port", port, "--healthEndpoint", "/healthz", "--logLevel", "none"],
            new Dictionary<string, string> { ["NODE_ENV"] = "production" },
            new Uri($"http://127.0.0.1:{port}"), "/healthz", BenchPaths.NodeFolder);
    }

    public static async Task<ServerProcess> StartGatewayAsync(ServerProcess remote, string dataFolder)
    {
        var config = Path.Combine(dataFolder, "gateway.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mcpServers"] = new Dictionary<string, object>
            {
                ["remote"] = new Dictionary<string, object> { ["type"] = "http", ["url"] = new Uri(remote.BaseAddress, "/mcp").ToString() },
                ["stdio"] = new Dictionary<string, object> { ["command"] = BenchPaths.NodeBinary, ["args"] = new[] { Everything, "stdio" }, ["isolation"] = "PerSession" },
            },
            ["gateway"] = new Dictionary<string, object> { ["aggregate"] = new Dictionary<string, object> { ["enabled"] = false }, ["processes"] = new Dictionary<string, object> { ["maxPerUser"] = 10_000 } },
            ["Storage"] = new Dictionary<string, object> { ["Memory"] = true },
        }));
        var port = ServerProcess.FreePort();
        var baseAddress = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        var environment = new Dictionary<string, string>(Servers.Common)
        {
            ["McpOAuth__Registration__MaxPerAddress"] = "100000000",
            ["McpOAuth__Sessions__MaxPerUser"] = "30000",
            ["McpOAuth__Sessions__MaxTotal"] = "30000",
        };
        var assembly = Servers.Built("samples/McpSseAuth.GatewayHost", "McpSseAuth.GatewayHost");
        return await ServerProcess.StartAsync("McpSseAuth.Gateway", "dotnet", [assembly, "--config", config, "--urls", baseAddress.ToString().TrimEnd('/')], environment, baseAddress, "/", Path.GetDirectoryName(assembly));
    }
}
