using System.Diagnostics;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>One measured run of <c>tools/call</c> load against one server, one transport, one concurrency.</summary>
internal sealed record McpLoadResult(
    string Server,
    string Transport,
    int Concurrency,
    long Calls,
    long Errors,
    double CallsPerSecond,
    double P50Ms,
    double P99Ms,
    double ServerCpuUsPerCall,
    string? FirstError)
{
    /// <summary>A run with errors measures the errors, not the server: throws, with the output of <paramref name="servers"/>, when a call failed or none completed.</summary>
    public void EnsureNoErrors(params ServerProcess[] servers)
    {
        if (Errors > 0 || Calls == 0)
        {
            throw new InvalidOperationException(
                $"{Server} {Transport} c{Concurrency}: {Errors} errors, {Calls} calls. First error: {FirstError}" + string.Concat(servers.Select(s => $"\n{s.Name} output:\n{s.Output}")));
        }
    }
}

/// <summary>
/// Closed-loop load: <c>concurrency</c> virtual users, each with its own MCP session (opened before the clock starts),
/// call the <c>echo</c> tool back to back. Calls in the warm-up are not counted; in the measured window every completed call counts, with its latency, and
/// the server's CPU time over the window is divided by the calls. A failed call counts as an error and its user opens a
/// new session.
/// </summary>
internal static class McpLoadBenchmark
{
    public static async Task<McpLoadResult> RunAsync(
        McpEndpoint endpoint,
        ServerProcess server,
        McpTransport transport,
        int concurrency,
        TimeSpan warmup,
        TimeSpan duration,
        CancellationToken cancellationToken,
        IReadOnlyList<ServerProcess>? alsoServing = null)
    {
        using var http = endpoint.CreateClient();
        // The CPU of every process serving the endpoint (both instances behind a balancer).
        ServerProcess[] servers = [server, .. alsoServing ?? []];
        var latencies = new Latencies();
        long errors = 0;
        string? firstError = null;

        // Sessions open before the clock starts: the measure is tool calls, not session setup.
        var opened = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var session = IMcpLoadSession.Create(transport, endpoint, http);
            await session.ConnectAsync(cancellationToken);
            return session;
        }));
        var clock = Stopwatch.StartNew();
        var windowStart = warmup;
        var windowEnd = warmup + duration;
        var cpuAtStart = TimeSpan.Zero;
        var cpuAtEnd = TimeSpan.Zero;

        async Task VirtualUserAsync(IMcpLoadSession first)
        {
            var samples = new List<double>(4096);
            IMcpLoadSession? session = first;
            try
            {
                while (clock.Elapsed < windowEnd && !cancellationToken.IsCancellationRequested)
                {
                    try
                    {
                        if (session is null)
                        {
                            session = IMcpLoadSession.Create(transport, endpoint, http);
                            await session.ConnectAsync(cancellationToken);
                        }

                        var started = clock.Elapsed;
                        await session.CallAsync(cancellationToken);
                        var ended = clock.Elapsed;
                        if (ended >= windowStart && ended < windowEnd)
                        {
                            samples.Add((ended - started).TotalMilliseconds);
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        if (clock.Elapsed >= windowStart && clock.Elapsed < windowEnd)
                        {
                            Interlocked.Increment(ref errors);
                        }

                        Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                        if (session is not null)
                        {
                            await session.DisposeAsync();
                            session = null;
                        }

                        await Task.Delay(10, CancellationToken.None);
                    }
                }
            }
            finally
            {
                latencies.Add(samples);
                if (session is not null)
                {
                    await session.DisposeAsync();
                }
            }
        }

        async Task ReadCpuAsync()
        {
            await Task.Delay(windowStart, cancellationToken);
            cpuAtStart = servers.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.CpuTime);
            await Task.Delay(windowEnd - clock.Elapsed, cancellationToken);
            cpuAtEnd = servers.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.CpuTime);
        }

        var cpu = ReadCpuAsync();
        await Task.WhenAll(opened.Select(session => Task.Run(() => VirtualUserAsync(session), cancellationToken)));
        await cpu;

        var calls = latencies.Count;
        return new McpLoadResult(
            endpoint.Name,
            transport == McpTransport.Sse ? "sse" : "streamable-http",
            concurrency,
            calls,
            errors,
            calls / duration.TotalSeconds,
            latencies.Percentile(50),
            latencies.Percentile(99),
            calls == 0 ? double.NaN : (cpuAtEnd - cpuAtStart).TotalMicroseconds / calls,
            firstError);
    }
}
