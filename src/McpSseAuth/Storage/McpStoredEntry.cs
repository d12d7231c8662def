namespace McpSseAuth.Storage;

/// <summary>An entry read from <see cref="IMcpOAuthStorage"/>.</summary>
/// <param name="value">The bytes stored.</param>
/// <param name="expiresAt">When the entry goes; <see cref="DateTimeOffset.MaxValue"/> for never.</param>
/// <param name="takenAt">When it was taken (<see cref="IMcpOAuthStorage.TryTakeAsync"/>), or null.</param>
public sealed class McpStoredEntry(ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, DateTimeOffset? takenAt = null)
{
    /// <summary>The bytes stored.</summary>
    public ReadOnlyMemory<byte> Value { get; } = value;

    /// <summary>When the entry goes; <see cref="DateTimeOffset.MaxValue"/> for never.</summary>
    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>When it was taken, or null while it was not.</summary>
    public DateTimeOffset? TakenAt { get; } = takenAt;
}

/// <summary>What <see cref="IMcpOAuthStorage.TryTakeAsync"/> found.</summary>
public enum McpTakeStatus
{
    /// <summary>No live entry.</summary>
    NotFound,

    /// <summary>This call took it: the result holds the value as it was.</summary>
    Taken,

    /// <summary>It was taken before: the result holds the remainder and when it was taken.</summary>
    AlreadyTaken,
}

/// <summary>The outcome of <see cref="IMcpOAuthStorage.TryTakeAsync"/>.</summary>
/// <param name="Status">What was found.</param>
/// <param name="Entry">The value as it was (<see cref="McpTakeStatus.Taken"/>) or the remainder (<see cref="McpTakeStatus.AlreadyTaken"/>); null when not found.</param>
public readonly record struct McpTakeResult(McpTakeStatus Status, McpStoredEntry? Entry);
