namespace McpSseAuth.Benchmarks;

/// <summary>Latency samples of one run, merged from the virtual users, and their percentiles.</summary>
internal sealed class Latencies
{
    private readonly List<double> _milliseconds = [];

    public int Count
    {
        get
        {
            lock (_milliseconds)
            {
                return _milliseconds.Count;
            }
        }
    }

    public void Add(IEnumerable<double> milliseconds)
    {
        lock (_milliseconds)
        {
            _milliseconds.AddRange(milliseconds);
        }
    }

    /// <summary>The <paramref name="percentile"/> (0–100) by nearest rank; NaN with no samples.</summary>
    public double Percentile(double percentile)
    {
        lock (_milliseconds)
        {
            if (_milliseconds.Count == 0)
            {
                return double.NaN;
            }

            _milliseconds.Sort();
            var rank = (int)Math.Ceiling(percentile / 100 * _milliseconds.Count);
            return _milliseconds[Math.Clamp(rank - 1, 0, _milliseconds.Count - 1)];
        }
    }
}
