using McpSseAuth.Benchmarks;
using McpSseAuth.Benchmarks.AuthServers;
using McpSseAuth.Benchmarks.Mcp;

namespace McpSseAuth.Tests.Benchmarks;

/// <summary>
/// A short run of every load benchmark (bench/run.sh runs them for real), so the driver, the servers it starts and the
/// results it writes keep working: each must complete operations without a single error. Nothing here is timed: how fast
/// is for docs/benchmarks.md, not for a test.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task McpLoad_OverBothTransports_AgainstTheSampleAndBothBaselines_CallsTheToolWithoutErrors()
    {
        var folder = Servers.NewDataFolder();
        try
        {
            await using var baseline = await Servers.StartBaselineAsync();
            await using var sample = await Servers.StartSampleAsync(folder);
            await using var jwtBearer = await Servers.StartJwtBearerAsync(sample);
            var tokens = await SampleTokens.GetAsync(sample, CancellationToken.None);
            await using var floor = await Servers.StartFloorAsync(tokens.Values);
            var results = new List<McpLoadResult>();
            foreach (var (server, endpoint) in new[]
            {
                (sample, new McpEndpoint(sample.Name, sample.BaseAddress, tokens)),
                (floor, new McpEndpoint(floor.Name, floor.BaseAddress, tokens)),
                (jwtBearer, new McpEndpoint(jwtBearer.Name, jwtBearer.BaseAddress, tokens)),
                (baseline, new McpEndpoint(baseline.Name, baseline.BaseAddress, null)),
            })
            {
                foreach (var transport in Enum.GetValues<McpTransport>())
                {
                    results.Add(await McpLoadBenchmark.RunAsync(endpoint, server, transport, 4, Warmup, Window, CancellationToken.None));
                }
            }

            Assert.All(results, r =>
            {
                Assert.True(r.Errors == 0, $"{r.Server} {r.Transport}: {r.Errors} errors, first: {r.FirstError}");
                Assert.True(r.Calls > 0, $"{r.Server} {r.Transport}: no call completed");
                Assert.True(r.ServerCpuUsPerCall > 0, $"{r.Server} {r.Transport}: no server CPU time read");
            });

            var summary = Summary.ToMarkdown(Results(mcp: results));
            Assert.Contains("| streamable-http | 4 | McpSseAuth (sample) |", summary, StringComparison.Ordinal);
            Assert.Contains("| sse | 4 | McpSseAuth (sample) |", summary, StringComparison.Ordinal);
            Assert.Matches(@"- sse c4: McpSseAuth \(sample\) costs -?\d+ µs of server CPU per call more than the floor", summary);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Instances_OneAndTwoBehindARoundRobinBalancer_CallTheToolWithoutErrors_AndTheRatioIsStated()
    {
        var results = await McpSseAuth.Benchmarks.Instances.InstancesCommand.RunAsync(new([2], Warmup, Window, 1), TextWriter.Null, CancellationToken.None);

        Assert.Equal(2, results.Count);
        Assert.All(results, r =>
        {
            Assert.True(r.Errors == 0, $"{r.Server}: {r.Errors} errors, first: {r.FirstError}");
            Assert.True(r.Calls > 0, $"{r.Server}: no call completed");
            Assert.True(r.ServerCpuUsPerCall > 0, $"{r.Server}: no server CPU time read");
        });
        Assert.Matches(@"- c2: two instances round-robin / one instance = \*\*\d+\.\d\d\*\* calls/s", McpSseAuth.Benchmarks.Instances.InstancesCommand.ToMarkdown(results));
    }

    [Fact]
    public async Task McpCallAllocations_OfTheSampleTheFloorAndTheBaseline_AreCountedByType()
    {
        var micro = Servers.Built("bench/McpSseAuth.Benchmarks.Micro", "McpSseAuth.Benchmarks.Micro");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", [micro, "allocations", "300"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, await error);
        var lines = (await output).Split('\n');
        Assert.Matches(@"^bytes per call \(exact\): no authentication [1-9]\d* \| constant token \(the floor\) [1-9]\d* \| McpSseAuth [1-9]\d*$", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("System.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SseSessions_HeldOpenOnTheSampleTheFloorAndTheBaseline_AreCountedAndTheirMemoryRead()
    {
        var results = await SseSessionsCommand.RunAsync(new SseSessionsSettings(40, 10, 10, 1, MeasureHeap: false), TextWriter.Null, CancellationToken.None);

        Assert.Equal(["McpSseAuth (sample)", "Constant token (floor)", "No auth (baseline)"], results.Select(r => r.Server));
        Assert.All(results, result =>
        {
            Assert.True(result.Errors == 0, $"{result.Server}: {result.Errors} sessions failed to open, first: {result.FirstError}");
            Assert.Equal(40, result.Sessions);
            Assert.True(result.ResidentBytesAtBase > 0 && result.ResidentBytesAtTarget > 0);
        });
        var summary = Summary.ToMarkdown(Results(sessions: results));
        Assert.Contains("| Constant token (floor) | 40 |", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizationServers_Each_RegistersRunsFlowsWithAndWithoutLoginAndRefreshesWithoutErrors_AndTheChartsAreDrawn()
    {
        var results = await AuthServersCommand.RunAsync(
            new AuthServersSettings(2, Warmup, Window, 1, AuthServersSettings.AllServers), TextWriter.Null, CancellationToken.None);

        Assert.All(results, r =>
        {
            Assert.True(r.Errors == 0, $"{r.Server} {r.Measure}: {r.Errors} errors, first: {r.FirstError}");
            Assert.True(r.Count > 0, $"{r.Server} {r.Measure}: nothing completed");
        });
        foreach (var server in results.Select(r => r.Server).Distinct())
        {
            Assert.Contains(results, r => r.Server == server && r.Measure == "flow");
        }

        Assert.Contains(results, r => r.Server.StartsWith("McpSseAuth", StringComparison.Ordinal) && r.Measure == "refresh");
        foreach (var server in new[] { "McpSseAuth (memory)", "McpSseAuth (SQLite)", "McpSseAuth (Redis)", "oidc-provider 9.13.3" })
        {
            Assert.Contains(results, r => r.Server == server && r.Measure == "register");
            Assert.Contains(results, r => r.Server == server && r.Measure == "flow-login");
        }

        var goals = string.Join('\n', AuthServerGoals.Lines(results, AuthServerGoals.MeasurePasswordHashMs()));
        Assert.Contains("refresh: McpSseAuth (SQLite) / McpSseAuth (memory) = ", goals, StringComparison.Ordinal);
        Assert.Contains("register: McpSseAuth (Redis) / oidc-provider 9.13.3 = ", goals, StringComparison.Ordinal);
        Assert.Contains("errors: none", goals, StringComparison.Ordinal);
        Assert.Matches(@"of which the login step -?\d+\.\d ms \(-?\d+ ?%\); one password check \(PBKDF2-HMAC-SHA512, 210,000 iterations\) takes \d+\.\d ms of CPU", goals);

        var folder = Servers.NewDataFolder();
        try
        {
            var charts = Charts.Write(Results(authServers: results), folder);
            var chart = Assert.Single(charts);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(chart)[..4]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task GatewayRelay_AllFourPaths_CallTheToolWithoutErrors_AndTheRatiosAreWritten()
    {
        var results = await McpSseAuth.Benchmarks.Gateway.GatewayRelayCommand.RunAsync(
            new AlternatedRunSettings([2], Warmup, Window, 1), TextWriter.Null, CancellationToken.None);

        Assert.Equal(4, results.Count);
        Assert.All(results, r =>
        {
            Assert.True(r.Errors == 0, $"{r.Server}: {r.Errors} errors, first: {r.FirstError}");
            Assert.True(r.Calls > 0, $"{r.Server}: no call completed");
        });
        var markdown = McpSseAuth.Benchmarks.Gateway.GatewayRelayCommand.ToMarkdown(results);
        Assert.Matches(@"through the gateway / direct \(remote Streamable HTTP\) = \*\*\d+\.\d\d\*\*", markdown);
        Assert.Matches(@"through the gateway / supergateway \(stdio\) = \*\*\d+\.\d\d\*\*", markdown);
    }

    private static BenchmarkResults Results(IReadOnlyList<McpLoadResult>? mcp = null, IReadOnlyList<AuthServerResult>? authServers = null, IReadOnlyList<SseSessionsResult>? sessions = null)
        => new(DateTimeOffset.UtcNow, MachineInfo.Read(), new Dictionary<string, string>(), mcp, sessions, authServers);
}
