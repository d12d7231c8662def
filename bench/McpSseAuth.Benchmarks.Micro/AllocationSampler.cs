using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// What a call allocates, by type: the runtime's allocation ticks (one event per about 100 KB allocated, naming the type
/// of the object that crossed the mark) counted while the same operation runs many times, for each server of
/// <see cref="McpCallBenchmarks"/>. <c>dotnet McpSseAuth.Benchmarks.Micro.dll allocations [calls]</c>. A sampling, so the
/// types that allocate most show; BenchmarkDotNet's allocated bytes per operation stay the exact total.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    // The runtime's randomized allocation sampling (.NET 10: AllocationSampled events, unbiased by the allocation pattern).
    private const EventKeywords AllocationSamplingKeyword = (EventKeywords)0x80000000000;
    private const long SampleDistance = 100 * 1024;
    private ConcurrentDictionary<string, long>? _bytes;

    public static async Task RunAsync(int calls)
    {
        var benchmarks = new McpCallBenchmarks();
        benchmarks.Setup();
        try
        {
            using var sampler = new AllocationSampler();
            var cases = new (string Name, Func<Task<string>> Call)[]
            {
                ("no authentication", benchmarks.NoAuth),
                ("constant token (the floor)", benchmarks.Floor),
                ("McpSseAuth", benchmarks.McpSseAuth),
            };
            var results = new List<(string Name, IReadOnlyDictionary<string, long> Bytes, long Total)>();
            var cpus = new List<double>();
            // Every case warmed up before any is measured: the first measured otherwise pays the others' compilation.
            foreach (var (_, call) in cases)
            {
                for (var i = 0; i < calls / 2; i++)
                {
                    await call();
                }
            }

            foreach (var (name, call) in cases)
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var cpu = Environment.CpuUsage.TotalTime;
                var bytes = sampler.Start();
                for (var i = 0; i < calls; i++)
                {
                    await call();
                }

                sampler.Stop();
                cpus.Add((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / calls);
                results.Add((name, bytes, (GC.GetTotalAllocatedBytes(precise: true) - before) / calls));
            }

            var types = results.SelectMany(r => r.Bytes.Keys).Distinct()
                .Select(t => (Type: t, PerCall: results.Select(r => r.Bytes.GetValueOrDefault(t) / (double)calls).ToArray()))
                .OrderByDescending(t => Math.Abs(t.PerCall[^1] - t.PerCall[^2]))
                .Take(40);
            Console.WriteLine($"bytes per call (exact): {string.Join(" | ", results.Select(r => $"{r.Name} {r.Total}"))}");
            Console.WriteLine($"process CPU µs per call (sampling on): {string.Join(" | ", results.Select((r, i) => $"{r.Name} {cpus[i]:F1}"))}");
            Console.WriteLine($"{"sampled bytes per call, by type",-90} {string.Join(" ", results.Select(r => r.Name[..Math.Min(10, r.Name.Length)].PadLeft(10)))}");
            foreach (var (type, perCall) in types)
            {
                Console.WriteLine($"{(type.Length > 90 ? type[..90] : type),-90} {string.Join(" ", perCall.Select(b => b.ToString("F0", System.Globalization.CultureInfo.InvariantCulture).PadLeft(10)))}");
            }
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    /// <summary>
    /// Process CPU per call of each server, in alternated rounds (so drift and the collector's moments fall on all three
    /// alike), with the median per server: <c>cpu [calls per round] [rounds] [only the server whose name contains this]</c>. The client's work is in it too, the same
    /// for all three, so the differences are the servers'.
    /// </summary>
    public static async Task RunCpuAsync(int calls, int rounds, string? only)
    {
        var benchmarks = new McpCallBenchmarks();
        benchmarks.Setup();
        try
        {
            var cases = new (string Name, Func<Task<string>> Call)[]
            {
                ("no authentication", benchmarks.NoAuth),
                ("constant token (the floor)", benchmarks.Floor),
                ("McpSseAuth", benchmarks.McpSseAuth),
            };
            if (only is not null)
            {
                cases = [.. cases.Where(c => c.Name.Contains(only, StringComparison.OrdinalIgnoreCase))];
            }

            var perCall = cases.Select(_ => new List<double>()).ToArray();
            for (var round = -3; round < rounds; round++)
            {
                for (var c = 0; c < cases.Length; c++)
                {
                    var cpu = Environment.CpuUsage.TotalTime;
                    for (var i = 0; i < calls; i++)
                    {
                        await cases[c].Call();
                    }

                    if (round >= 0)
                    {
                        perCall[c].Add((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / calls);   // rounds -3 to -1 warm up
                    }
                }
            }

            for (var c = 0; c < cases.Length; c++)
            {
                var sorted = perCall[c].Order().ToArray();
                Console.WriteLine(FormattableString.Invariant($"{cases[c].Name}: median {sorted[sorted.Length / 2]:F1} µs CPU per call (rounds: {string.Join(" ", perCall[c].Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))})"));
            }
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    private ConcurrentDictionary<string, long> Start() => _bytes = new ConcurrentDictionary<string, long>();

    private void Stop() => _bytes = null;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Informational, AllocationSamplingKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (_bytes is { } bytes && e.EventName == "AllocationSampled" && e.Payload is { } payload && e.PayloadNames is { } names)
        {
            var type = payload[names.IndexOf("TypeName")] as string ?? "?";
            // Each sample stands for the mean distance between samples (100 KB), whatever the object's size.
            bytes.AddOrUpdate(type, SampleDistance, (_, sum) => sum + SampleDistance);
        }
    }
}
