using System.Globalization;

namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>
/// What a benchmark of paths measured side by side runs (the gateway's relay, the instances): concurrency levels, window
/// lengths and rounds, the paths alternating and their order flipping each round.
/// </summary>
internal sealed record AlternatedRunSettings(IReadOnlyList<int> Concurrencies, TimeSpan Warmup, TimeSpan Duration, int Rounds)
{
    /// <summary>A moment of each (<c>--quick</c>), or the measure the docs show.</summary>
    public static AlternatedRunSettings For(bool quick) => quick
        ? new([4], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), 1)
        : new([1, 16], TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), 3);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"concurrency {string.Join("/", Concurrencies)}, {Warmup.TotalSeconds:F0} s warm-up + {Duration.TotalSeconds:F0} s measured per run, {Rounds} rounds");
}
