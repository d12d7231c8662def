namespace McpSseAuth.Benchmarks;

/// <summary>The median over rounds that every result table and ratio is stated in.</summary>
internal static class Medians
{
    /// <summary>The median of <paramref name="value"/> over <paramref name="runs"/>; NaN for none.</summary>
    public static double Of<T>(IEnumerable<T> runs, Func<T, double> value)
    {
        var sorted = runs.Select(value).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
