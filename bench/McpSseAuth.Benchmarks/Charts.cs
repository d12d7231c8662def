using McpSseAuth.Benchmarks.Mcp;
using ScottPlot;

namespace McpSseAuth.Benchmarks;

/// <summary>The charts of docs/benchmarks.md, drawn with ScottPlot from a results file.</summary>
internal static class Charts
{
    private static readonly Color Authenticated = Color.FromHex("#1f77b4");
    private static readonly Color Baseline = Color.FromHex("#aaaaaa");
    private static readonly Color[] Palette = [Authenticated, Color.FromHex("#ff7f0e"), Baseline];

    /// <summary>Writes every chart the results allow into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(BenchmarkResults results, string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        if (results.Mcp is { Count: > 0 } mcp)
        {
            written.Add(McpThroughput(mcp, Path.Combine(folder, "mcp-throughput.png")));
        }

        if (results.Sessions is { Count: > 0 } sessions)
        {
            written.Add(SessionMemory(sessions, Path.Combine(folder, "sse-session-memory.png")));
        }

        if (results.AuthServers is { Count: > 0 } authServers)
        {
            written.Add(AuthServerThroughput(authServers, Path.Combine(folder, "authorization-servers.png")));
        }

        return written;
    }

    private static string McpThroughput(IReadOnlyList<McpLoadResult> results, string path)
    {
        var cells = results.Select(r => (r.Transport, r.Concurrency)).Distinct().ToList();
        var servers = results.Select(r => r.Server).Distinct().ToList();
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var i = 0; i < cells.Count; i++)
        {
            var (transport, concurrency) = cells[i];
            for (var s = 0; s < servers.Count; s++)
            {
                var runs = results.Where(r => r.Transport == transport && r.Concurrency == concurrency && r.Server == servers[s]).ToList();
                bars.Add(new Bar
                {
                    Position = i * (servers.Count + 1) + s,
                    Value = runs.Average(r => r.CallsPerSecond),
                    FillColor = Palette[s % Palette.Length],
                    Label = $"{runs.Average(r => r.CallsPerSecond):F0}",
                });
            }

            ticks.Add(new Tick(i * (servers.Count + 1) + (servers.Count - 1) / 2.0, $"{transport}\nc{concurrency}"));
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 10;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.25);
        plot.Title("tools/call throughput (calls/s, mean of rounds)");
        plot.YLabel("calls per second");
        AddLegend(plot, servers, servers.Count == Palette.Length ? Palette : null);
        plot.SavePng(path, 1000, 500);
        return path;
    }

    private static string SessionMemory(IReadOnlyList<SseSessionsResult> results, string path)
    {
        var servers = results.Select(r => r.Server).Distinct().ToList();
        var measures = new (string Name, Func<SseSessionsResult, double> Value)[]
        {
            ("resident memory", r => r.BytesPerSession),
            ("live managed heap", r => r.HeapBytesPerSession ?? double.NaN),
        };
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var m = 0; m < measures.Length; m++)
        {
            for (var s = 0; s < servers.Count; s++)
            {
                var kib = results.Where(r => r.Server == servers[s]).Average(measures[m].Value) / 1024;
                if (double.IsNaN(kib))
                {
                    continue;
                }

                bars.Add(new Bar { Position = m * (servers.Count + 1) + s, Value = kib, FillColor = s == 0 ? Authenticated : Baseline, Label = $"{kib:F1} KiB" });
            }

            ticks.Add(new Tick(m * (servers.Count + 1) + (servers.Count - 1) / 2.0, measures[m].Name));
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.25);
        plot.Title($"Memory per open SSE session ({results.Max(r => r.Sessions):N0} sessions)");
        plot.YLabel("KiB per session");
        AddLegend(plot, servers);
        plot.SavePng(path, 700, 450);
        return path;
    }

    private static string AuthServerThroughput(IReadOnlyList<AuthServers.AuthServerResult> results, string path)
    {
        var servers = results.Select(r => r.Server).Distinct().ToList();
        var measures = results.Select(r => r.Measure).Distinct().ToList();
        var palette = new[] { Authenticated, Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Baseline };
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var m = 0; m < measures.Count; m++)
        {
            for (var s = 0; s < servers.Count; s++)
            {
                var runs = results.Where(r => r.Measure == measures[m] && r.Server == servers[s]).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var perSecond = runs.Average(r => r.PerSecond);
                bars.Add(new Bar
                {
                    Position = m * (servers.Count + 1) + s,
                    Value = perSecond,
                    FillColor = palette[s % palette.Length],
                    Label = $"{perSecond:F0}",
                });
            }

            ticks.Add(new Tick(m * (servers.Count + 1) + (servers.Count - 1) / 2.0, measures[m] == "flow" ? "register → authorize → token\n(flows/s)" : "refresh_token grant\n(refreshes/s)"));
        }

        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.25);
        plot.Title("Authorization servers (per second, mean of rounds)");
        AddLegend(plot, servers, palette);
        plot.SavePng(path, 900, 500);
        return path;
    }

    private static void AddLegend(Plot plot, List<string> servers, Color[]? colors = null)
    {
        for (var s = 0; s < servers.Count; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = servers[s],
                FillColor = colors is null ? (s == 0 ? Authenticated : Baseline) : colors[s % colors.Length],
            });
        }

        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend();
    }
}
