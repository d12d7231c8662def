using Microsoft.Extensions.Internal;

namespace McpSseAuth.Http;

/// <summary><see cref="TimeProvider"/> as the clock of a <see cref="Microsoft.Extensions.Caching.Memory.MemoryCache"/>, so that its expirations follow the same time as everything else.</summary>
internal sealed class TimeProviderClock(TimeProvider time) : ISystemClock
{
    public DateTimeOffset UtcNow => time.GetUtcNow();
}
