using System.Globalization;

namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// Settings of the authorization-server comparison: virtual users, warm-up and measured seconds per measure, rounds (each
/// round runs every server once, in the same order, so drift spreads over all of them), which servers, and where
/// McpSseAuth's SQLite file goes (null: the system's temporary folder; a tmpfs such as /dev/shm takes the disk out).
/// </summary>
internal sealed record AuthServersSettings(int Concurrency, TimeSpan Warmup, TimeSpan Duration, int Rounds, IReadOnlyList<string> Servers, string? McpSseAuthDataRoot = null)
{
    /// <summary>
    /// The server keys, in run order: McpSseAuth with its in-memory storage (like for like with the node servers, which keep
    /// everything in memory) and with SQLite (the sample's default), then the two node servers.
    /// </summary>
    public static IReadOnlyList<string> AllServers { get; } = ["mcpsseauth-memory", "mcpsseauth-memory-info", "mcpsseauth-sqlite", "mcpsseauth-redis", "oidc-provider", "ts-sdk"];

    public static AuthServersSettings Default { get; } = new(16, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), 1, AllServers);

    /// <summary>Reads <c>--concurrency N --warmup S --duration S --rounds N --servers a,b --mcpsseauth-data DIR</c>; unknown options throw.</summary>
    public static AuthServersSettings Parse(IReadOnlyList<string> args)
    {
        var settings = Default;
        for (var i = 0; i < args.Count; i += 2)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--concurrency" => settings with { Concurrency = Positive(args[i], value) },
                "--warmup" => settings with { Warmup = TimeSpan.FromSeconds(Positive(args[i], value)) },
                "--duration" => settings with { Duration = TimeSpan.FromSeconds(Positive(args[i], value)) },
                "--rounds" => settings with { Rounds = Positive(args[i], value) },
                "--servers" => settings with { Servers = ParseServers(value) },
                "--mcpsseauth-data" => settings with { McpSseAuthDataRoot = Directory.Exists(value) ? value : throw new ArgumentException($"--mcpsseauth-data: no folder {value}.") },
                _ => throw new ArgumentException($"Unknown option {args[i]} (known: --concurrency, --warmup, --duration, --rounds, --servers {string.Join(',', AllServers)}, --mcpsseauth-data)."),
            };
        }

        return settings;
    }

    private static int Positive(string name, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer, not '{value}'.");

    /// <summary>A comma-separated list of server keys (<c>--servers</c>); unknown keys throw.</summary>
    public static string[] ParseServers(string value)
    {
        var servers = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = servers.Except(AllServers).ToArray();
        return unknown.Length == 0 && servers.Length > 0 ? servers : throw new ArgumentException($"Unknown servers {string.Join(',', unknown)} (known: {string.Join(',', AllServers)}).");
    }
}

/// <summary>
/// Runs the authorization-server comparison: McpSseAuth (the sample server), oidc-provider and the TypeScript MCP SDK's
/// auth router, one at a time on loopback, alternating per round (A, B, C, A, B, C...), and prints a table.
/// </summary>
internal static class AuthServersCommand
{
    public static async Task<IReadOnlyList<AuthServerResult>> RunAsync(AuthServersSettings settings, TextWriter log, CancellationToken ct)
    {
        var results = new List<AuthServerResult>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var key in settings.Servers)
            {
                await using var server = await StartAsync(key, settings);
                await log.WriteLineAsync($"round {round}/{settings.Rounds}: {server.Name} (pid {server.Server.Id}, {server.Server.BaseAddress}), {settings.Concurrency} users, {settings.Warmup.TotalSeconds:0} s warm-up + {settings.Duration.TotalSeconds:0} s per measure");
                var measured = await AuthServerBenchmark.RunAsync(server, settings.Concurrency, settings.Warmup, settings.Duration, ct);
                foreach (var result in measured)
                {
                    await log.WriteLineAsync("  " + Row(result));
                }

                if (!server.HasLogin)
                {
                    await log.WriteLineAsync($"  {AuthServerBenchmark.FlowLoginMeasure,-10} n/a: {server.Name} has no login form");
                }

                if (!server.SupportsRefresh)
                {
                    await log.WriteLineAsync($"  {AuthServerBenchmark.RefreshMeasure,-10} n/a: {server.Name} issues no refresh tokens");
                }

                await log.WriteLineAsync($"  server memory at the end: {server.Server.ResidentBytes / (1024 * 1024)} MiB resident");
                results.AddRange(measured);
            }
        }

        await WriteTableAsync(results, settings, log);
        return results;
    }

    private static async Task<IAuthServerFlow> StartAsync(string key, AuthServersSettings settings) => key switch
    {
        "mcpsseauth-memory" => await McpSseAuthFlow.StartAsync(McpSseAuthStorage.Memory, settings.McpSseAuthDataRoot),
        "mcpsseauth-memory-info" => await McpSseAuthFlow.StartAsync(McpSseAuthStorage.MemoryDefaultLogging),
        "mcpsseauth-sqlite" => await McpSseAuthFlow.StartAsync(McpSseAuthStorage.Sqlite, settings.McpSseAuthDataRoot),
        "mcpsseauth-redis" => await McpSseAuthFlow.StartAsync(McpSseAuthStorage.Redis),
        "oidc-provider" => await OidcProviderFlow.StartAsync(),
        "ts-sdk" => await TsSdkFlow.StartAsync(),
        _ => throw new ArgumentException($"Unknown server {key}."),
    };

    private static string Row(AuthServerResult r)
        => string.Create(CultureInfo.InvariantCulture, $"{r.Measure,-10} {r.PerSecond,9:0.0}/s  p50 {r.P50Ms,7:0.00} ms  p99 {r.P99Ms,7:0.00} ms  server CPU {r.ServerCpuMsPerOp,6:0.00} ms/op  n={r.Count} errors={r.Errors}{(r.FirstError is null ? "" : $" first: {r.FirstError}")}");

    /// <summary>Medians over the rounds of each server and measure, then the ratios of the goals (<see cref="AuthServerGoals"/>).</summary>
    private static async Task WriteTableAsync(List<AuthServerResult> results, AuthServersSettings settings, TextWriter log)
    {
        await log.WriteLineAsync();
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Authorization servers, {settings.Concurrency} users, median of {settings.Rounds} round(s) of {settings.Duration.TotalSeconds:0} s:"));
        await log.WriteLineAsync($"{"server",-44} {"measure",-10} {"per s",9} {"p50 ms",8} {"p99 ms",8} {"CPU ms/op",9} {"errors",7}");
        foreach (var group in results.GroupBy(r => (r.Server, r.Measure)))
        {
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{group.Key.Server,-44} {group.Key.Measure,-10} {Medians.Of(group, r => r.PerSecond),9:0.0} {Medians.Of(group, r => r.P50Ms),8:0.00} {Medians.Of(group, r => r.P99Ms),8:0.00} {Medians.Of(group, r => r.ServerCpuMsPerOp),9:0.00} {group.Sum(r => r.Errors),7}"));
        }

        foreach (var line in AuthServerGoals.Lines(results, AuthServerGoals.MeasurePasswordHashMs()))
        {
            await log.WriteLineAsync(line);
        }
    }
}
