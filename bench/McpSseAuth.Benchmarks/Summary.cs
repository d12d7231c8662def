using System.Globalization;
using System.Text;
using McpSseAuth.Benchmarks.AuthServers;
using McpSseAuth.Benchmarks.Mcp;

namespace McpSseAuth.Benchmarks;

/// <summary>The results as Markdown tables, with the ratios the goals are stated in (bench/results/summary.md).</summary>
internal static class Summary
{
    public static string ToMarkdown(BenchmarkResults results)
    {
        var text = new StringBuilder();
        var machine = results.Machine;
        text.AppendLine(Invariant($"Measured {results.StartedAt:yyyy-MM-dd HH:mm} UTC at commit {machine.Commit ?? "?"}: {machine.Cpu}, {machine.Cores} cores, {machine.MemoryBytes / (1L << 30)} GiB, {machine.OperatingSystem}, {machine.Runtime}; driver and servers on the same machine."));
        text.AppendLine(Invariant($"Settings: {string.Join(", ", results.Settings.Select(s => s.Key + " " + s.Value))}."));
        text.AppendLine();

        if (results.Mcp is { Count: > 0 } mcp)
        {
            // The runner lists McpSseAuth first and the server without authentication last.
            var servers = mcp.Select(r => r.Server).Distinct().ToList();
            var baseline = servers[^1];
            text.AppendLine("### tools/call over MCP, against the same server without authentication");
            text.AppendLine();
            text.AppendLine("| Transport | Concurrency | Server | Calls/s | **Throughput ratio to no auth** | p50 ms | p99 ms | Server CPU µs per call | Added CPU µs per call |");
            text.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");
            foreach (var (transport, concurrency) in mcp.Select(r => (r.Transport, r.Concurrency)).Distinct())
            {
                var none = mcp.Where(r => r.Server == baseline && r.Transport == transport && r.Concurrency == concurrency).ToList();
                foreach (var server in servers)
                {
                    var runs = mcp.Where(r => r.Server == server && r.Transport == transport && r.Concurrency == concurrency).ToList();
                    var ratio = server == baseline ? "" : Invariant($"**{runs.Sum(r => r.CallsPerSecond) / none.Sum(r => r.CallsPerSecond):F2}**");
                    var added = server == baseline ? "" : Invariant($"{runs.Average(r => r.ServerCpuUsPerCall) - none.Average(r => r.ServerCpuUsPerCall):F0}");
                    text.Append(Invariant($"| {transport} | {concurrency} | {server} | {runs.Average(r => r.CallsPerSecond):F0} | {ratio} | "));
                    text.AppendLine(Invariant($"{Medians.Of(runs, r => r.P50Ms):F2} | {Medians.Of(runs, r => r.P99Ms):F2} | {runs.Average(r => r.ServerCpuUsPerCall):F0} | {added} |"));
                }
            }

            text.AppendLine();
            // Issue #20: McpSseAuth's server CPU per call within 5 µs of the floor's (the cheapest authentication there is).
            var floor = servers.FirstOrDefault(s => s.StartsWith("Constant token", StringComparison.Ordinal));
            foreach (var (transport, concurrency) in mcp.Select(r => (r.Transport, r.Concurrency)).Distinct().Where(_ => floor is not null))
            {
                double Cpu(string server) => mcp.Where(r => r.Server == server && r.Transport == transport && r.Concurrency == concurrency).Average(r => r.ServerCpuUsPerCall);
                double Rate(string server) => mcp.Where(r => r.Server == server && r.Transport == transport && r.Concurrency == concurrency).Sum(r => r.CallsPerSecond);
                text.AppendLine(Invariant(
                    $"- {transport} c{concurrency}: {servers[0]} costs {Cpu(servers[0]) - Cpu(floor!):F0} µs of server CPU per call more than the floor (goal <= 5), {Cpu(floor!) - Cpu(baseline):F0} µs the floor more than no auth; throughput {Rate(servers[0]) / Rate(baseline):F2} of no auth (goal >= 0.92), the floor's {Rate(floor!) / Rate(baseline):F2}"));
            }

            text.AppendLine();
        }

        if (results.Sessions is { Count: > 0 } sessions)
        {
            var servers = sessions.Select(r => r.Server).Distinct().ToList();
            var baselineResident = sessions.Where(r => r.Server == servers[^1]).Average(r => r.BytesPerSession);
            var baselineHeap = sessions.Where(r => r.Server == servers[^1]).Average(r => r.HeapBytesPerSession ?? double.NaN);
            text.AppendLine("### Open legacy SSE sessions: memory of the server process");
            text.AppendLine();
            text.AppendLine("| Server | Sessions held | Resident MiB at base / at target | Resident KiB per session | **Ratio** | Live heap KiB per session | **Ratio** |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var server in servers)
            {
                var runs = sessions.Where(r => r.Server == server).ToList();
                var resident = runs.Average(r => r.BytesPerSession);
                var heap = runs.Average(r => r.HeapBytesPerSession ?? double.NaN);
                text.Append(Invariant($"| {server} | {runs.Min(r => r.Sessions):N0} | {runs.Average(r => r.ResidentBytesAtBase) / 1048576:F0} / {runs.Average(r => r.ResidentBytesAtTarget) / 1048576:F0} | "));
                text.AppendLine(Invariant($"{resident / 1024:F1} | **{resident / baselineResident:F2}** | {heap / 1024:F1} | **{heap / baselineHeap:F2}** |"));
            }

            text.AppendLine();
        }

        if (results.AuthServers is { Count: > 0 } authServers)
        {
            var servers = authServers.Select(r => r.Server).Distinct().ToList();
            text.AppendLine("### Authorization servers");
            text.AppendLine();
            text.AppendLine(Invariant($"| Server | Measure | Concurrency | Per second | p50 ms | p99 ms | Server CPU ms per operation | **{servers[0]} is × this** |"));
            text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
            foreach (var measure in authServers.Select(r => r.Measure).Distinct())
            {
                var ours = authServers.Where(r => r.Server == servers[0] && r.Measure == measure).Select(r => r.PerSecond).DefaultIfEmpty(double.NaN).Average();
                foreach (var server in servers)
                {
                    var runs = authServers.Where(r => r.Server == server && r.Measure == measure).ToList();
                    if (runs.Count == 0)
                    {
                        text.AppendLine(Invariant($"| {server} | {measure} | | n/a | | | | |"));
                        continue;
                    }

                    var perSecond = runs.Average(r => r.PerSecond);
                    var times = McpSseAuthFlow.IsMcpSseAuth(server) ? "" : Invariant($"**{ours / perSecond:F1}**");
                    text.AppendLine(Invariant(
                        $"| {server} | {measure} | {runs[0].Concurrency} | {perSecond:F0} | {Medians.Of(runs, r => r.P50Ms):F1} | {Medians.Of(runs, r => r.P99Ms):F1} | {runs.Average(r => r.ServerCpuMsPerOp):F2} | {times} |"));
                }
            }

            text.AppendLine();
            foreach (var line in AuthServerGoals.Lines(authServers, AuthServerGoals.MeasurePasswordHashMs()))
            {
                text.AppendLine("- " + line);
            }

            text.AppendLine();
        }

        return text.ToString();
    }


    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
