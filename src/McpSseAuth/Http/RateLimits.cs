using System.Threading.RateLimiting;

namespace McpSseAuth.Http;

/// <summary>Fixed-window limits per key (a user name, a client address), from System.Threading.RateLimiting.</summary>
internal static class RateLimits
{
    /// <summary><paramref name="permits"/> per <paramref name="window"/> for each key; nothing queues.</summary>
    public static PartitionedRateLimiter<string> PerKey(int permits, TimeSpan window) => PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}
