namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>Where the repository and the node servers of the authorization-server benchmark are on this machine.</summary>
internal static class BenchPaths
{
    /// <summary>bench/node: the node servers and their pinned packages.</summary>
    public static string NodeFolder => Path.Combine(Servers.RepositoryRoot, "bench", "node");

    /// <summary>
    /// The node binary pinned by bench/node/package.json (the npm package <c>node</c>, 22.x: oidc-provider 9 calls node 20
    /// unsupported), so both node servers run on the same, known runtime.
    /// </summary>
    public static string NodeBinary
    {
        get
        {
            var node = Path.Combine(NodeFolder, "node_modules", "node", "bin", "node");
            return File.Exists(node) ? node : throw new InvalidOperationException($"{node} is missing: run 'npm ci' in {NodeFolder}.");
        }
    }
}
