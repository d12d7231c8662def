namespace McpSseAuth.EntityFrameworkCore;

/// <summary>
/// One entry of McpSseAuth's storage, a row of the table <see cref="Microsoft.EntityFrameworkCore.McpOAuthModelBuilderExtensions.AddMcpOAuthEntries"/>
/// maps. Keyed by the SHA-256 of its key, so any key fits any database's index; times are Unix milliseconds of McpSseAuth's
/// clock, never the database's.
/// </summary>
internal sealed class StoredEntry
{
    /// <summary>SHA-256 of <see cref="Key"/>, lower-case hex: the primary key.</summary>
    public string Id { get; set; } = "";

    public string Key { get; set; } = "";

    public byte[] Value { get; set; } = [];

    /// <summary>Unix milliseconds; <see cref="long.MaxValue"/> for never.</summary>
    public long ExpiresAt { get; set; }

    /// <summary>SHA-256 of the partition, when the entry is listed in one.</summary>
    public string? PartitionId { get; set; }

    /// <summary>Unix milliseconds of its take, once taken.</summary>
    public long? TakenAt { get; set; }
}
