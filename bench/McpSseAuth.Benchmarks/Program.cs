using System.Globalization;
using McpSseAuth.Benchmarks.AuthServers;
using McpSseAuth.Benchmarks.Gateway;
using McpSseAuth.Benchmarks.Instances;
using McpSseAuth.Benchmarks.Mcp;

namespace McpSseAuth.Benchmarks;

/// <summary>
/// <c>McpSseAuth.Benchmarks gateway [--quick]</c>: the gateway's relay overhead (bench/results/gateway.md).
/// <c>McpSseAuth.Benchmarks instances [--quick]</c>: two instances behind a round-robin balancer vs one (bench/results/instances.md).
/// <c>McpSseAuth.Benchmarks all|mcp|sessions|as|chart [--quick] [--results FILE] [--servers a,b] [--duration S] [--warmup S]</c>: runs the load benchmarks, saves
/// their results (bench/results/results.json unless told otherwise), and draws the charts and the summary from them.
/// <c>--servers</c> narrows the authorization servers of <c>as</c> (keys: <see cref="AuthServersSettings.AllServers"/>),
/// <c>--duration</c> and <c>--warmup</c> set its measured and warm-up seconds per measure (to attach a profiler to a server
/// for longer, or to let .NET's tiered JIT settle: on 2 busy cores it keeps compiling for some 30 s).
/// </summary>
internal static class Program
{
    private static readonly string[] Commands = ["all", "mcp", "sessions", "as", "chart"];
    private static readonly System.Text.Json.JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    public static async Task<int> Main(string[] args)
    {
        var command = args.FirstOrDefault();
        if (command == "load")
        {
            return await LoadAsync(args);
        }

        if (command == "hold")
        {
            return await HoldAsync(args);
        }

        if (command == "gateway")
        {
            return await GatewayAsync(args);
        }

        if (command == "instances")
        {
            return await InstancesAsync(args);
        }

        if (command is null || !Commands.Contains(command))
        {
            await Console.Error.WriteLineAsync("usage: McpSseAuth.Benchmarks all|mcp|sessions|as|chart [--quick] [--results FILE] [--servers mcpsseauth-memory,mcpsseauth-sqlite,oidc-provider,ts-sdk] [--duration S] [--warmup S] [--concurrency N] [--sessions N] [--rounds N]");
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var quick = args.Contains("--quick");
        var resultsFile = Option(args, "--results") ?? Path.Combine(Servers.RepositoryRoot, "bench", "results", quick ? "results-quick.json" : "results.json");
        var mcp = quick
            ? new McpTrafficSettings([1, 16], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), 1, TimeSpan.FromSeconds(3))
            : new McpTrafficSettings([1, 16, 64], TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), 2, TimeSpan.FromSeconds(10));
        var sessions = quick
            ? new SseSessionsSettings(2_000, 500, 100, 1)
            : new SseSessionsSettings(10_000, 1_000, 100, 2);
        var authServers = quick
            ? new AuthServersSettings(16, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), 1, AuthServersSettings.AllServers)
            : new AuthServersSettings(16, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), 2, AuthServersSettings.AllServers);

        if (Option(args, "--sessions") is { } held)
        {
            sessions = sessions with { Sessions = int.Parse(held, CultureInfo.InvariantCulture) };
        }

        if (Option(args, "--rounds") is { } rounds)
        {
            var count = int.Parse(rounds, CultureInfo.InvariantCulture);
            sessions = sessions with { Rounds = count };
            mcp = mcp with { Rounds = count };
            authServers = authServers with { Rounds = count };
        }

        if (Option(args, "--servers") is { } servers)
        {
            authServers = authServers with { Servers = AuthServersSettings.ParseServers(servers) };
        }

        if (Option(args, "--duration") is { } seconds)
        {
            authServers = authServers with { Duration = TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture)) };
        }

        if (Option(args, "--concurrency") is { } concurrency)
        {
            authServers = authServers with { Concurrency = int.Parse(concurrency, CultureInfo.InvariantCulture) };
        }

        if (Option(args, "--warmup") is { } warmup)
        {
            authServers = authServers with { Warmup = TimeSpan.FromSeconds(int.Parse(warmup, CultureInfo.InvariantCulture)) };
        }

        var previous = command != "all" && File.Exists(resultsFile) ? BenchmarkResults.Load(resultsFile) : null;
        var results = previous ?? new BenchmarkResults(DateTimeOffset.UtcNow, MachineInfo.Read(), new Dictionary<string, string>(), null, null, null);
        if (command is "all" or "mcp")
        {
            Console.WriteLine($"MCP traffic: {mcp}");
            results = results with { Mcp = await McpTrafficCommand.RunAsync(mcp, Console.Out, cancel.Token) };
        }

        if (command is "all" or "sessions")
        {
            Console.WriteLine($"SSE sessions: {sessions}");
            results = results with { Sessions = await SseSessionsCommand.RunAsync(sessions, Console.Out, cancel.Token) };
        }

        if (command is "all" or "as")
        {
            Console.WriteLine($"Authorization servers: {authServers}");
            results = results with { AuthServers = await AuthServersCommand.RunAsync(authServers, Console.Out, cancel.Token) };
        }

        if (command != "chart")
        {
            // Each part says the code it measured: a later "mcp", "sessions" or "as" replaces only its own part.
            var machine = MachineInfo.Read();
            var settings = new Dictionary<string, string>(results.Settings);
            if (command is "all" or "mcp")
            {
                settings["mcp"] = Describe(mcp) + " (commit " + machine.Commit + ")";
            }

            if (command is "all" or "sessions")
            {
                settings["sessions"] = Describe(sessions) + " (commit " + machine.Commit + ")";
            }

            if (command is "all" or "as")
            {
                settings["authorization servers"] = Describe(authServers) + " (commit " + machine.Commit + ")";
            }

            results = results with { StartedAt = DateTimeOffset.UtcNow, Machine = machine, Settings = settings };
            results.Save(resultsFile);
            Console.WriteLine($"Results: {resultsFile}");
        }

        var summary = Summary.ToMarkdown(results);
        var summaryFile = Path.ChangeExtension(resultsFile, ".md");
        await File.WriteAllTextAsync(summaryFile, summary);
        var charts = Charts.Write(results, Path.Combine(Path.GetDirectoryName(resultsFile)!, Path.GetFileNameWithoutExtension(resultsFile) + "-charts"));
        Console.WriteLine();
        Console.WriteLine(summary);
        Console.WriteLine($"Summary: {summaryFile}");
        Console.WriteLine($"Charts: {string.Join(", ", charts)}");
        return 0;
    }

    /// <summary>
    /// <c>load --server sample|baseline --transport sse|streamable-http --concurrency N --seconds S</c>: one server under
    /// load for a while, its process id printed first, to attach a profiler (dotnet-trace, perf) to it.
    /// </summary>
    private static Task<int> LoadAsync(string[] args)
    {
        var transport = Option(args, "--transport") == "streamable-http" ? McpTransport.StreamableHttp : McpTransport.Sse;
        var concurrency = int.Parse(Option(args, "--concurrency") ?? "16", CultureInfo.InvariantCulture);
        var seconds = int.Parse(Option(args, "--seconds") ?? "30", CultureInfo.InvariantCulture);
        return WithServerAsync(args, async (server, endpoint) =>
        {
            Console.WriteLine($"{server.Name} pid {server.Id} on {server.BaseAddress}: {transport} c{concurrency} for {seconds} s");
            var result = await McpLoadBenchmark.RunAsync(endpoint, server, transport, concurrency, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(seconds), CancellationToken.None);
            Console.WriteLine(result);
            return result.Errors == 0 ? 0 : 1;
        });
    }

    /// <summary>
    /// <c>hold --server sample|baseline --sessions N --seconds S</c>: one server holding N open legacy SSE sessions for a
    /// while, its process id printed first, to take a heap snapshot of it (dotnet-gcdump).
    /// </summary>
    private static Task<int> HoldAsync(string[] args)
    {
        var count = int.Parse(Option(args, "--sessions") ?? "1000", CultureInfo.InvariantCulture);
        var seconds = int.Parse(Option(args, "--seconds") ?? "60", CultureInfo.InvariantCulture);
        return WithServerAsync(args, async (server, endpoint) =>
        {
            using var http = McpEndpoint.CreateHttpClient();
            var sessions = new List<IMcpLoadSession>();
            foreach (var chunk in Enumerable.Range(0, count).Chunk(100))
            {
                sessions.AddRange(await Task.WhenAll(chunk.Select(async _ =>
                {
                    var session = IMcpLoadSession.Create(McpTransport.Sse, endpoint, http);
                    await session.ConnectAsync(CancellationToken.None);
                    await session.CallAsync(CancellationToken.None);
                    return session;
                })));
            }

            Console.WriteLine($"{server.Name} pid {server.Id} holds {sessions.Count} SSE sessions for {seconds} s");
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            await Task.WhenAll(sessions.Select(s => s.DisposeAsync().AsTask()));
            return 0;
        });
    }

    /// <summary>The server <c>--server sample|baseline</c> names, started, with the sample's tokens; stopped and its folder removed after <paramref name="run"/>.</summary>
    private static async Task<int> WithServerAsync(string[] args, Func<ServerProcess, McpEndpoint, Task<int>> run)
    {
        var sample = (Option(args, "--server") ?? "sample") == "sample";
        var dataFolder = Servers.NewDataFolder();
        try
        {
            await using var server = sample ? await Servers.StartSampleAsync(dataFolder) : await Servers.StartBaselineAsync();
            var tokens = sample ? await SampleTokens.GetAsync(server, CancellationToken.None) : null;
            return await run(server, new McpEndpoint(server.Name, server.BaseAddress, tokens));
        }
        finally
        {
            Directory.Delete(dataFolder, recursive: true);
        }
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static string Describe(McpTrafficSettings s) => Invariant(
        $"concurrency {string.Join("/", s.Concurrencies)}, {s.FirstWarmup.TotalSeconds:F0} s warm-up per server and transport first, then {s.Warmup.TotalSeconds:F0} s warm-up + {s.Duration.TotalSeconds:F0} s measured per run, {s.Rounds} rounds");

    private static string Describe(SseSessionsSettings s) => Invariant(
        $"{s.Sessions} sessions (memory read at {s.BaseSessions} and {s.Sessions}), {s.OpenConcurrency} opening at once, {s.Rounds} rounds");

    private static string Describe(AuthServersSettings s) => Invariant(
        $"concurrency {s.Concurrency}, {s.Warmup.TotalSeconds:F0} s warm-up + {s.Duration.TotalSeconds:F0} s measured per run, {s.Rounds} rounds");

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The relay benchmark: its own results (bench/results/gateway.json and gateway.md, or gateway-quick.*).</summary>
    private static Task<int> GatewayAsync(string[] args) => AlternatedAsync(args, "gateway", GatewayRelayCommand.RunAsync, GatewayRelayCommand.ToMarkdown);

    /// <summary>The instances benchmark: its own results (bench/results/instances.json and instances.md, or instances-quick.*).</summary>
    private static Task<int> InstancesAsync(string[] args) => AlternatedAsync(args, "instances", InstancesCommand.RunAsync, InstancesCommand.ToMarkdown);

    private static async Task<int> AlternatedAsync(
        string[] args,
        string name,
        Func<AlternatedRunSettings, TextWriter, CancellationToken, Task<IReadOnlyList<McpLoadResult>>> run,
        Func<IReadOnlyList<McpLoadResult>, string> toMarkdown)
    {
        var quick = args.Contains("--quick");
        var settings = AlternatedRunSettings.For(quick);
        Console.WriteLine($"{name}: {settings}");
        var results = await run(settings, Console.Out, CancellationToken.None);
        await WriteResultsAsync(quick ? name + "-quick" : name, settings.ToString(), results, toMarkdown(results));
        return 0;
    }

    private static async Task WriteResultsAsync(string name, string settings, IReadOnlyList<McpLoadResult> results, string markdown)
    {
        var folder = Path.Combine(Servers.RepositoryRoot, "bench", "results");
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".json"), System.Text.Json.JsonSerializer.Serialize(new { startedAt = DateTimeOffset.UtcNow, machine = MachineInfo.Read(), settings, results }, IndentedJson));
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".md"), markdown);
        Console.WriteLine(markdown);
    }
}
