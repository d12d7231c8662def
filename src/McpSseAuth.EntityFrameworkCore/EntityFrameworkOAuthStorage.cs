using System.Security.Cryptography;
using System.Text;
using McpSseAuth.Storage;
using Microsoft.EntityFrameworkCore;

namespace McpSseAuth.EntityFrameworkCore;

/// <summary>
/// <see cref="IMcpOAuthStorage"/> on one table of the host's <see cref="DbContext"/>, in statements every relational
/// provider runs the same: each operation is one conditional <c>UPDATE</c>, <c>DELETE</c> or <c>INSERT</c> on one row (the
/// database's row lock makes it atomic across instances), and single use is a read followed by a compare-and-swap that
/// exactly one taker wins. Expiry is on McpSseAuth's clock, compared in the statements; expired rows are deleted later
/// (<see cref="EntityFrameworkMaintenance"/>). A database that cannot be reached is <see cref="McpStorageUnavailableException"/>.
/// </summary>
internal sealed class EntityFrameworkOAuthStorage(ContextSource contexts, TimeProvider time) : IMcpOAuthStorage
{
    private const int MaxAttempts = 10;

    public ContextSource Contexts => contexts;

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken) => contexts.RunAsync(async db =>
    {
        var id = Id(key);
        var now = Now();
        var row = await Entries(db).AsNoTracking().Where(e => e.Id == id && e.ExpiresAt > now)
            .Select(e => new { e.Value, e.ExpiresAt, e.TakenAt }).FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : new McpStoredEntry(row.Value, Time(row.ExpiresAt), row.TakenAt is { } taken ? Time(taken) : null);
    }, cancellationToken);

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken) => contexts.RunAsync(async db =>
    {
        var id = Id(key);
        var now = Now();
        var bytes = value.ToArray();
        var expires = Ms(expiresAt);
        var partitionId = partition is null ? null : Id(partition);
        // An expired entry is replaced where it lies; a live one is left alone.
        if (await Entries(db).Where(e => e.Id == id && e.ExpiresAt <= now).ExecuteUpdateAsync(
                s => s.SetProperty(e => e.Key, key).SetProperty(e => e.Value, bytes).SetProperty(e => e.ExpiresAt, expires)
                      .SetProperty(e => e.PartitionId, partitionId).SetProperty(e => e.TakenAt, (long?)null),
                cancellationToken) == 1)
        {
            return true;
        }

        return await InsertAsync(db, new StoredEntry { Id = id, Key = key, Value = bytes, ExpiresAt = expires, PartitionId = partitionId }, cancellationToken);
    }, cancellationToken);

    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        var id = Id(key);
        var bytes = value.ToArray();
        var expires = Ms(expiresAt);
        var partitionId = partition is null ? null : Id(partition);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var written = await contexts.RunAsync(async db =>
                await Entries(db).Where(e => e.Id == id).ExecuteUpdateAsync(
                    s => s.SetProperty(e => e.Key, key).SetProperty(e => e.Value, bytes).SetProperty(e => e.ExpiresAt, expires)
                          .SetProperty(e => e.PartitionId, partitionId).SetProperty(e => e.TakenAt, (long?)null),
                    cancellationToken) == 1
                || await InsertAsync(db, new StoredEntry { Id = id, Key = key, Value = bytes, ExpiresAt = expires, PartitionId = partitionId }, cancellationToken),
                cancellationToken);
            if (written)
            {
                return;
            }

            // Inserted by another caller between the update and the insert: update that one.
        }

        throw new McpStorageUnavailableException("An entry kept changing under a write; try again.");
    }

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken) => contexts.RunAsync(async db =>
    {
        var id = Id(key);
        var now = Now();
        var old = expected.ToArray();
        var bytes = value.ToArray();
        var expires = Ms(expiresAt);
        return await Entries(db).Where(e => e.Id == id && e.ExpiresAt > now && e.Value == old)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Value, bytes).SetProperty(e => e.ExpiresAt, expires), cancellationToken) == 1;
    }, cancellationToken);

    public async ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = Id(key);
        var at = Ms(now);
        var rest = remainder.ToArray();
        var keep = Ms(keepUntil);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var result = await contexts.RunAsync<McpTakeResult?>(async db =>
            {
                var row = await Entries(db).AsNoTracking().Where(e => e.Id == id && e.ExpiresAt > at)
                    .Select(e => new { e.Value, e.ExpiresAt, e.TakenAt }).FirstOrDefaultAsync(cancellationToken);
                if (row is null)
                {
                    return new McpTakeResult(McpTakeStatus.NotFound, null);
                }

                if (row.TakenAt is { } taken)
                {
                    return new McpTakeResult(McpTakeStatus.AlreadyTaken, new McpStoredEntry(row.Value, Time(row.ExpiresAt), Time(taken)));
                }

                // Whoever swaps the value it read first takes it; everyone else reads again and finds it taken.
                var value = row.Value;
                var swapped = await Entries(db).Where(e => e.Id == id && e.TakenAt == null && e.ExpiresAt > at && e.Value == value)
                    .ExecuteUpdateAsync(s => s.SetProperty(e => e.Value, rest).SetProperty(e => e.TakenAt, at).SetProperty(e => e.ExpiresAt, keep), cancellationToken);
                return swapped == 1 ? new McpTakeResult(McpTakeStatus.Taken, new McpStoredEntry(value, Time(row.ExpiresAt), Time(at))) : null;
            }, cancellationToken);
            if (result is { } decided)
            {
                return decided;
            }
        }

        throw new McpStorageUnavailableException("An entry kept changing under a take; try again.");
    }

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken) => contexts.RunAsync(async db =>
    {
        var id = Id(key);
        var now = Now();
        var live = await Entries(db).Where(e => e.Id == id && e.ExpiresAt > now).ExecuteDeleteAsync(cancellationToken);
        if (live == 0)
        {
            await Entries(db).Where(e => e.Id == id).ExecuteDeleteAsync(cancellationToken);
        }

        return live == 1;
    }, cancellationToken);

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken) => contexts.RunAsync<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>>(async db =>
    {
        var partitionId = Id(partition);
        var now = Now();
        var rows = await Entries(db).AsNoTracking().Where(e => e.PartitionId == partitionId && e.ExpiresAt > now)
            .Select(e => new { e.Key, e.Value, e.ExpiresAt, e.TakenAt }).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new KeyValuePair<string, McpStoredEntry>(r.Key, new McpStoredEntry(r.Value, Time(r.ExpiresAt), r.TakenAt is { } taken ? Time(taken) : null)))];
    }, cancellationToken);

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken) => contexts.RunAsync(async db =>
    {
        var partitionId = Id(partition);
        return await Entries(db).LongCountAsync(e => e.PartitionId == partitionId, cancellationToken);
    }, cancellationToken);

    /// <summary>Deletes the rows that expired before now; how many.</summary>
    public ValueTask<int> DeleteExpiredAsync(CancellationToken cancellationToken) => contexts.RunAsync(async db =>
    {
        var now = Now();
        return await Entries(db).Where(e => e.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
    }, cancellationToken);

    /// <summary>Inserts <paramref name="entry"/>; false when a row with its id is there already (another caller was first).</summary>
    private async Task<bool> InsertAsync(DbContext db, StoredEntry entry, CancellationToken cancellationToken)
    {
        Entries(db).Add(entry);
        DbUpdateException failure;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException e)
        {
            failure = e;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }

        // The row is there: a duplicate key, whatever the provider calls it. Not there: the database failed.
        if (await ExistsAsync(entry.Id, cancellationToken))
        {
            return false;
        }

        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return false;
    }

    /// <summary>Whether a row has this id, asked on a context of its own (a failed insert may have spoilt the caller's transaction).</summary>
    private Task<bool> ExistsAsync(string id, CancellationToken cancellationToken)
        => contexts.RunAsync(db => Entries(db).AnyAsync(e => e.Id == id, cancellationToken), cancellationToken).AsTask();

    private static DbSet<StoredEntry> Entries(DbContext db) => db.Set<StoredEntry>();

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long Ms(DateTimeOffset at) => at == DateTimeOffset.MaxValue ? long.MaxValue : at.ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long ms) => ms == long.MaxValue ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>SHA-256 of a key or partition, lower-case hex: 64 ASCII characters whatever the key, for any database's index.</summary>
    internal static string Id(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
