using System.Diagnostics;

namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// One measure of one authorization server: <c>register</c> (dynamic registrations alone), <c>flow</c> (register →
/// authorize → consent → token, complete, the user signed in), <c>flow-login</c> (the same through the login form each
/// time) or <c>refresh</c> (refresh_token grants on rotating refresh tokens). <see cref="Count"/> counts successes only; latencies
/// are of successes; <see cref="ServerCpuMsPerOp"/> is the server process's CPU time (user + system) over the measured
/// window divided by <see cref="Count"/>.
/// </summary>
internal sealed record AuthServerResult(
    string Server,
    string Measure,
    int Concurrency,
    long Count,
    long Errors,
    double PerSecond,
    double P50Ms,
    double P99Ms,
    double ServerCpuMsPerOp,
    string? FirstError);

/// <summary>
/// Measures an authorization server with a closed loop of virtual users, each signed in once: complete flows per second,
/// then (where the server has refresh tokens) refreshes per second, each user on its own chain of rotating refresh tokens.
/// Every measure runs a warm-up first, which is not counted. Any exception is an error.
/// </summary>
internal static class AuthServerBenchmark
{
    public const string RegisterMeasure = "register";
    public const string FlowMeasure = "flow";
    public const string FlowLoginMeasure = "flow-login";
    public const string RefreshMeasure = "refresh";

    /// <summary>Every measure, in run order.</summary>
    public static readonly IReadOnlyList<string> Measures = [RegisterMeasure, FlowMeasure, FlowLoginMeasure, RefreshMeasure];

    /// <summary>
    /// Returns the register and flow results, the flow-login result when <see cref="IAuthServerFlow.HasLogin"/> and the refresh
    /// result when <see cref="IAuthServerFlow.SupportsRefresh"/>. Registrations go first, on a fresh server.
    /// </summary>
    public static async Task<IReadOnlyList<AuthServerResult>> RunAsync(IAuthServerFlow flow, int concurrency, TimeSpan warmup, TimeSpan duration, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var signIns = Enumerable.Range(0, concurrency).Select(_ => flow.SignInAsync(ct)).ToArray();
        try
        {
            var users = await Task.WhenAll(signIns);
            var results = new List<AuthServerResult>
            {
                await MeasureAsync(flow, RegisterMeasure, users.Select(u => (Func<CancellationToken, Task>)u.RegisterAsync).ToList(), warmup, duration, ct),
                await MeasureAsync(flow, FlowMeasure, users.Select(u => (Func<CancellationToken, Task>)u.RunFlowAsync).ToList(), warmup, duration, ct),
            };

            if (flow.HasLogin)
            {
                results.Add(await MeasureAsync(flow, FlowLoginMeasure, users.Select(u => (Func<CancellationToken, Task>)u.RunFlowWithLoginAsync).ToList(), warmup, duration, ct));
                // Signed in again for the refreshes, which start with a flow each.
                await Task.WhenAll(users.Select(u => u.RunFlowWithLoginAsync(ct)));
            }

            if (flow.SupportsRefresh)
            {
                var refreshers = new List<Func<CancellationToken, Task>>();
                foreach (var (user, tokens) in users.Zip(await Task.WhenAll(users.Select(u => u.RunFlowAsync(ct)))))
                {
                    refreshers.Add(RefreshLoop(user, tokens));
                }

                results.Add(await MeasureAsync(flow, RefreshMeasure, refreshers, warmup, duration, ct));
            }

            return results;
        }
        finally
        {
            foreach (var signIn in signIns)
            {
                if (signIn.IsCompletedSuccessfully)
                {
                    signIn.Result.Dispose();
                }
            }
        }
    }

    /// <summary>One refresh per call on the user's current tokens. After a failure the chain is broken: a new flow restarts it, then the failure counts.</summary>
    private static Func<CancellationToken, Task> RefreshLoop(IAuthServerUser user, FlowTokens first)
    {
        var tokens = first;
        return async ct =>
        {
            try
            {
                tokens = await user.RefreshAsync(tokens, ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                tokens = await user.RunFlowAsync(ct);
                throw;
            }
        };
    }

    private static async Task<AuthServerResult> MeasureAsync(IAuthServerFlow flow, string measure, List<Func<CancellationToken, Task>> workers, TimeSpan warmup, TimeSpan duration, CancellationToken ct)
    {
        await Task.WhenAll(workers.Select(w => LoopAsync(w, warmup, ct)));

        var cpuBefore = flow.Server.CpuTime;
        var started = Stopwatch.GetTimestamp();
        var tallies = await Task.WhenAll(workers.Select(w => LoopAsync(w, duration, ct)));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = flow.Server.CpuTime - cpuBefore;

        var latencies = tallies.SelectMany(t => t.LatenciesMs).Order().ToArray();
        var count = latencies.Length;
        return new AuthServerResult(
            flow.Name,
            measure,
            workers.Count,
            count,
            tallies.Sum(t => t.Errors),
            count / elapsed.TotalSeconds,
            Percentile(latencies, 50),
            Percentile(latencies, 99),
            count == 0 ? 0 : cpu.TotalMilliseconds / count,
            tallies.Select(t => t.FirstError).FirstOrDefault(e => e is not null));
    }

    /// <summary>Calls <paramref name="operation"/> back to back for <paramref name="duration"/> (the last call started in time is finished).</summary>
    private static async Task<Tally> LoopAsync(Func<CancellationToken, Task> operation, TimeSpan duration, CancellationToken ct)
    {
        var tally = new Tally();
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            ct.ThrowIfCancellationRequested();
            var before = Stopwatch.GetTimestamp();
            try
            {
                await operation(ct);
                tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                tally.Errors++;
                tally.FirstError ??= $"{e.GetType().Name}: {e.Message}";
                await Task.Delay(10, ct);   // a server that fails fast must not turn into a busy loop
            }
        }

        return tally;
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 when there are none.</summary>
    private static double Percentile(double[] sorted, double percent)
        => sorted.Length == 0 ? 0 : sorted[Math.Max(0, (int)Math.Ceiling(percent / 100 * sorted.Length) - 1)];

    /// <summary>What one virtual user saw in one measured window.</summary>
    private sealed class Tally
    {
        public List<double> LatenciesMs { get; } = [];

        public long Errors { get; set; }

        public string? FirstError { get; set; }
    }
}
