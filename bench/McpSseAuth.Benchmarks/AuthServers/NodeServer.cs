using System.Globalization;

namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>Starts one of the bench/node servers (<c>node script PORT</c>, the pinned node 22) and waits for GET /ready.</summary>
internal static class NodeServer
{
    public static Task<ServerProcess> StartAsync(string name, string script)
    {
        var port = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        return ServerProcess.StartAsync(
            name,
            BenchPaths.NodeBinary,
            [script, port],
            new Dictionary<string, string> { ["NODE_ENV"] = "production" },
            new Uri($"http://127.0.0.1:{port}"),
            "/ready",
            workingDirectory: BenchPaths.NodeFolder);
    }
}
