namespace McpSseAuth.Storage;

/// <summary>
/// Where McpSseAuth keeps its state: registered clients, authorization codes, refresh tokens and their families, pending
/// authorizations, grants, consents, revocations, sign-outs, users' stored secrets, the signing key ring and the directory of
/// legacy SSE sessions. A small key-value contract with expiry and atomic single-use, which every backend implements the
/// same way; McpSseAuth builds its stores on it. Built in: memory (the default), SQLite (<c>McpSseAuth.Sqlite</c>) and
/// Redis (<c>McpSseAuth.Redis</c>). Register another with <c>services.AddMcpOAuthStorage(...)</c>.
/// </summary>
/// <remarks>
/// <para>
/// Keys and partitions are opaque ASCII strings of McpSseAuth's making. Values are opaque bytes (McpSseAuth stores JSON).
/// Every entry has an expiry: from then on it is gone for every operation, whether or not it was physically removed yet.
/// <see cref="DateTimeOffset.MaxValue"/> means it never expires. Time is McpSseAuth's <see cref="TimeProvider"/>, passed in
/// by the implementation's constructor; a backend's own clock may only be used to delete entries later, never earlier.
/// </para>
/// <para>
/// Every operation is atomic on its key. Several instances of a server may share one storage: two of them taking the same
/// entry at once must see exactly one <see cref="McpTakeStatus.Taken"/>. When the backend cannot be reached, throw
/// <see cref="McpStorageUnavailableException"/>: McpSseAuth answers 503 and writes nothing else for that request.
/// </para>
/// </remarks>
public interface IMcpOAuthStorage
{
    /// <summary>The live entry at <paramref name="key"/>, or null.</summary>
    ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Adds an entry where none is live; false (and nothing changed) when one is.</summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="value">What to keep.</param>
    /// <param name="expiresAt">When it goes; <see cref="DateTimeOffset.MaxValue"/> for never.</param>
    /// <param name="partition">A group to list the entry in with <see cref="ListAsync"/>, or null.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken);

    /// <summary>Adds or overwrites the entry (a taken entry becomes untaken).</summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="value">What to keep.</param>
    /// <param name="expiresAt">When it goes; <see cref="DateTimeOffset.MaxValue"/> for never.</param>
    /// <param name="partition">A group to list the entry in with <see cref="ListAsync"/>, or null.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken);

    /// <summary>
    /// Compare and swap: replaces the live entry's value and expiry only when its value is byte for byte
    /// <paramref name="expected"/>; false (and nothing changed) otherwise, or when there is no live entry. Whether it was
    /// taken, and its partition, stay as they were.
    /// </summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="expected">The value the caller read.</param>
    /// <param name="value">The new value.</param>
    /// <param name="expiresAt">The new expiry.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Single use. The first take of a live entry returns <see cref="McpTakeStatus.Taken"/> with the value as it was, and
    /// leaves <paramref name="remainder"/> in its place, marked taken at <paramref name="now"/>, until
    /// <paramref name="keepUntil"/>. Every later take returns <see cref="McpTakeStatus.AlreadyTaken"/> with the remainder and
    /// when it was taken. No live entry: <see cref="McpTakeStatus.NotFound"/>.
    /// </summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="remainder">What stays behind to recognise a second use.</param>
    /// <param name="keepUntil">How long the remainder stays.</param>
    /// <param name="now">The time of the take, recorded with it.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Removes the entry; false when there was no live one.</summary>
    ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken);

    /// <summary>The live entries of a partition, by key, in no particular order.</summary>
    ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken);

    /// <summary>How many entries a partition holds; may count entries that expired but were not removed yet.</summary>
    ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken);
}
