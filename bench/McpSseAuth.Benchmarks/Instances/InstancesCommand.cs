using System.Globalization;
using System.Text;
using McpSseAuth.Benchmarks.AuthServers;
using McpSseAuth.Benchmarks.Mcp;

namespace McpSseAuth.Benchmarks.Instances;

/// <summary>
/// Several instances without sticky routing: <c>tools/call</c> over stateful Streamable HTTP sessions (a 2025-era client),
/// to one instance of the sample, and through a round-robin balancer in front of two (each request to the next instance:
/// half of a session's calls reach the instance that does not hold it and are relayed to the holder). Both instances and
/// the single one run on one real redis-server, all side by side for the whole measure, alternating (the order flips each
/// round), so the ratio comes from one run on one machine. Server CPU per call sums both instances.
/// </summary>
internal static class InstancesCommand
{
    public const string One = "one instance";
    public const string RoundRobin = "two instances, round-robin";

    public static async Task<IReadOnlyList<McpLoadResult>> RunAsync(AlternatedRunSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        await using var redis = await BenchRedis.StartAsync();
        var port = ServerProcess.FreePort();
        var issuer = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        await using var a = await Servers.StartSampleAsync(null, "instance A", redis.ConnectionString, port: port, issuer: issuer);
        await using var b = await Servers.StartSampleAsync(null, "instance B", redis.ConnectionString, issuer: issuer);
        var tokens = await SampleTokens.GetAsync(a, cancellationToken);
        var targets = new[]
        {
            (Endpoint: new McpEndpoint(One, a.BaseAddress, tokens), Also: Array.Empty<ServerProcess>()),
            (Endpoint: new McpEndpoint(RoundRobin, a.BaseAddress, tokens, RoundRobin: [a.BaseAddress, b.BaseAddress]), Also: new[] { b }),
        };

        log.WriteLine("Warming up both paths...");
        foreach (var (endpoint, also) in targets)
        {
            (await McpLoadBenchmark.RunAsync(endpoint, a, McpTransport.StreamableHttp, 4, TimeSpan.Zero, settings.Warmup + settings.Warmup, cancellationToken, also)).EnsureNoErrors(a, b);
        }

        var results = new List<McpLoadResult>();
        for (var round = 0; round < settings.Rounds; round++)
        {
            foreach (var concurrency in settings.Concurrencies)
            {
                foreach (var (endpoint, also) in round % 2 == 0 ? targets : targets.Reverse().ToArray())
                {
                    var result = await McpLoadBenchmark.RunAsync(endpoint, a, McpTransport.StreamableHttp, concurrency, settings.Warmup, settings.Duration, cancellationToken, also);
                    log.WriteLine($"  round {round + 1} c{concurrency,-3} {result.Server,-28} {result.CallsPerSecond,8:F0} calls/s  p50 {result.P50Ms,6:F2} ms  p99 {result.P99Ms,6:F2} ms  CPU {result.ServerCpuUsPerCall,6:F0} µs/call  errors {result.Errors}");
                    result.EnsureNoErrors(a, b);
                    results.Add(result);
                }
            }
        }

        return results;
    }

    /// <summary>The results as a table, and the ratio of round-robin to one instance (medians over rounds).</summary>
    public static string ToMarkdown(IReadOnlyList<McpLoadResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| concurrency | path | calls/s | p50 ms | p99 ms | server CPU µs/call |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var group in results.GroupBy(r => (r.Concurrency, r.Server)).OrderBy(g => g.Key.Concurrency))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key.Concurrency} | {group.Key.Server} | {Medians.Of(group, r => r.CallsPerSecond):F0} | {Medians.Of(group, r => r.P50Ms):F2} | {Medians.Of(group, r => r.P99Ms):F2} | {Medians.Of(group, r => r.ServerCpuUsPerCall):F0} |");
        }

        text.AppendLine();
        foreach (var concurrency in results.Select(r => r.Concurrency).Distinct().Order())
        {
            double Of(string server, Func<McpLoadResult, double> value) => Medians.Of(results.Where(r => r.Concurrency == concurrency && r.Server == server), value);
            text.AppendLine(CultureInfo.InvariantCulture, $"- c{concurrency}: two instances round-robin / one instance = **{Of(RoundRobin, r => r.CallsPerSecond) / Of(One, r => r.CallsPerSecond):F2}** calls/s, **{Of(RoundRobin, r => r.P50Ms) / Of(One, r => r.P50Ms):F2}** p50 latency, **{Of(RoundRobin, r => r.ServerCpuUsPerCall) / Of(One, r => r.ServerCpuUsPerCall):F2}** server CPU per call");
        }

        return text.ToString();
    }

}
