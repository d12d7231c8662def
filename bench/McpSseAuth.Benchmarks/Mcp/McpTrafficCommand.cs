namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>What the MCP traffic benchmark runs: concurrency levels, window lengths and rounds.</summary>
internal sealed record McpTrafficSettings(IReadOnlyList<int> Concurrencies, TimeSpan Warmup, TimeSpan Duration, int Rounds, TimeSpan FirstWarmup);

/// <summary>
/// Overhead on MCP traffic: <c>tools/call</c> against the sample with McpSseAuth (a real access token from its own
/// authorization server), against the same MCP server behind the cheapest authentication there is (the floor: the same
/// tokens compared as constants), behind a hand-wired AddJwtBearer (the same tokens), and without authentication, over Streamable HTTP and legacy SSE, at each concurrency. The servers run side by side for the
/// whole measure; runs alternate between them (the order flips each round) so that drift of the shared machine falls on all.
/// </summary>
internal static class McpTrafficCommand
{
    public static async Task<IReadOnlyList<McpLoadResult>> RunAsync(
        McpTrafficSettings settings,
                TextWriter log,
        CancellationToken cancellationToken)
    {
        var dataFolder = Servers.NewDataFolder();
        try
        {
            await using var baseline = await Servers.StartBaselineAsync();
            await using var sample = await Servers.StartSampleAsync(dataFolder);
            await using var jwtBearer = await Servers.StartJwtBearerAsync(sample);
            var tokens = await SampleTokens.GetAsync(sample, cancellationToken);
            await using var floor = await Servers.StartFloorAsync(tokens.Values);
            var servers = new[]
            {
                (Server: sample, Endpoint: new McpEndpoint(sample.Name, sample.BaseAddress, tokens)),
                (Server: floor, Endpoint: new McpEndpoint(floor.Name, floor.BaseAddress, tokens)),
                (Server: jwtBearer, Endpoint: new McpEndpoint(jwtBearer.Name, jwtBearer.BaseAddress, tokens)),
                (Server: baseline, Endpoint: new McpEndpoint(baseline.Name, baseline.BaseAddress, null)),
            };

            log.WriteLine("Warming up both servers on both transports...");
            foreach (var (server, endpoint) in servers)
            {
                foreach (var transport in Enum.GetValues<McpTransport>())
                {
                    // Long enough for .NET's tiered JIT to settle: on 2 busy cores it keeps compiling for a while.
                    var warm = await McpLoadBenchmark.RunAsync(endpoint, server, transport, 8, TimeSpan.Zero, settings.FirstWarmup, cancellationToken);
                    warm.EnsureNoErrors(server);
                }
            }

            var results = new List<McpLoadResult>();
            for (var round = 0; round < settings.Rounds; round++)
            {
                foreach (var transport in Enum.GetValues<McpTransport>())
                {
                    foreach (var concurrency in settings.Concurrencies)
                    {
                        var order = round % 2 == 0 ? servers : servers.Reverse().ToArray();
                        foreach (var (server, endpoint) in order)
                        {
                            var result = await McpLoadBenchmark.RunAsync(endpoint, server, transport, concurrency, settings.Warmup, settings.Duration, cancellationToken);
                            log.WriteLine($"  round {round + 1} {result.Transport,-15} c{concurrency,-3} {result.Server,-20} {result.CallsPerSecond,8:F0} calls/s  p50 {result.P50Ms,6:F2} ms  p99 {result.P99Ms,6:F2} ms  server CPU {result.ServerCpuUsPerCall,6:F0} µs/call  errors {result.Errors}");
                            result.EnsureNoErrors(server);
                            results.Add(result);
                        }
                    }
                }
            }

            return results;
        }
        finally
        {
            Directory.Delete(dataFolder, recursive: true);
        }
    }
}
