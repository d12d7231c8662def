using System.Threading.RateLimiting;

namespace McpSseAuth.Http;

/// <summary>Fixed-window limits per key (a user name, a client address), from System.Threading.RateLimiting.</summary>
internal static class RateLimits
{
    /// <summary>
    /// The client address as a limit counts it: IPv4 as is, IPv6 by its /64 network (one host usually holds a whole /64,
    /// so counting each address would give it unlimited tries). Behind a proxy, right only with the forwarded-headers middleware.
    /// </summary>
    public static string AddressKey(Microsoft.AspNetCore.Http.HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } address)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

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
