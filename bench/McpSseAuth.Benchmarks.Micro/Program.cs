using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;

namespace McpSseAuth.Benchmarks.Micro;

/// <summary>
/// Runs the micro-benchmarks: <c>dotnet run -c Release --project bench/McpSseAuth.Benchmarks.Micro -- --filter '*'</c>.
/// One short job (3 warmup and 10 measured iterations) so the whole set fits in a few minutes on a small machine;
/// time and allocations per operation, exported as GitHub markdown and full JSON to <c>bench/results/micro</c> under the
/// repository root, or to the folder in <c>MCPSSEAUTH_MICRO_RESULTS</c>, or to <c>--artifacts</c>.
/// </summary>
internal static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["cpu", ..])
        {
            AllocationSampler.RunCpuAsync(
                args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5_000,
                args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 15,
                args.Length > 3 ? args[3] : null).GetAwaiter().GetResult();
            return;
        }

        if (args is ["allocations", ..])
        {
            AllocationSampler.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 50_000).GetAwaiter().GetResult();
            return;
        }

        var job = Job.Default
            .WithId("short")
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10);

        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub, JsonExporter.Full)
            .AddAnalyser([.. DefaultConfig.Instance.GetAnalysers()])
            .AddValidator([.. DefaultConfig.Instance.GetValidators()])
            .WithArtifactsPath(ResultsFolder())
            .WithOptions(ConfigOptions.DisableLogFile);

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }

    /// <summary><c>MCPSSEAUTH_MICRO_RESULTS</c>, else <c>bench/results/micro</c> under the folder holding McpSseAuth.sln.</summary>
    private static string ResultsFolder()
    {
        if (Environment.GetEnvironmentVariable("MCPSSEAUTH_MICRO_RESULTS") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "McpSseAuth.sln")))
            {
                return Path.Combine(dir.FullName, "bench", "results", "micro");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
    }
}
