using McpSseAuth.Storage;
using Microsoft.Data.Sqlite;
using static McpSseAuth.Sqlite.SqliteDatabase;

namespace McpSseAuth.Sqlite;

/// <summary>
/// <see cref="IMcpOAuthStorage"/> in one SQLite file: survives restarts, and the server instances of one machine may share
/// it. One row per entry, times in UTC ticks (<see cref="DateTimeOffset.MaxValue"/> for never); a row whose expiry has passed
/// on McpSseAuth's clock is absent for every operation, and rows expired on that clock are deleted at most once a minute,
/// as writes arrive. Writes go to the writer (<see cref="SqliteWorker"/>): the writes arriving together share one
/// IMMEDIATE transaction and one commit, each in a savepoint of its own, and each operation is one statement or reads and
/// writes under the write lock, so the processes sharing the file see exactly one winner of a take or a swap. Reads go to
/// the reader, which WAL never blocks; the writer copies the WAL into the file after answering a batch
/// (<see cref="SqliteCheckpointer"/>), so no request waits for a checkpoint. No operation runs on the caller's thread.
/// </summary>
internal sealed class SqliteOAuthStorage : IMcpOAuthStorage, IDisposable
{
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    private const string Columns = "value, expires_at, taken_at";

    private readonly SqliteDatabase _database;
    private readonly SqliteWorker _writer;
    private readonly SqliteWorker _reader;
    private readonly SqliteCheckpointer _checkpointer;
    private readonly TimeProvider _time;
    private long _nextSweep = long.MinValue;
    private int _disposed;

    public SqliteOAuthStorage(string databasePath, TimeProvider time)
        : this(databasePath, time, DefaultBusyTimeout)
    {
    }

    /// <param name="databasePath">The database file; it and its folder are created owner-only when missing.</param>
    /// <param name="time">McpSseAuth's clock: expiry is decided on it, never on the machine's.</param>
    /// <param name="busyTimeout">How long an operation waits for another connection's write lock (whole seconds).</param>
    /// <param name="durableCommits">Whether each commit waits for the disk (see <see cref="McpSqliteOptions.DurableCommits"/>).</param>
    internal SqliteOAuthStorage(string databasePath, TimeProvider time, TimeSpan busyTimeout, bool durableCommits = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _database = new SqliteDatabase(databasePath, busyTimeout, durableCommits);
        _checkpointer = new SqliteCheckpointer(time);
        _writer = new SqliteWorker(_database, writes: true, "McpSseAuth SQLite writer", Sweep, _checkpointer.AfterCommit);
        _reader = new SqliteWorker(_database, writes: false, "McpSseAuth SQLite reader");
    }

    /// <summary>The database file.</summary>
    internal SqliteDatabase Database => _database;

    /// <summary>How many checkpoints the storage's checkpointer ran.</summary>
    internal long Checkpoints => _checkpointer.Checkpoints;

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
        => Read(s => ReadLive(s, key, Now()), cancellationToken);

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => new(Write(
            s => s.Execute(
                // An expired row is replaced as if it were not there.
                $"""
                INSERT INTO {Table} (key, value, expires_at, taken_at, partition) VALUES ($key, $value, $expires_at, NULL, $partition)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, taken_at = NULL, partition = excluded.partition
                WHERE {Table}.expires_at <= $now;
                """,
                ("$key", key), ("$value", value), ("$expires_at", expiresAt.UtcTicks), ("$partition", partition), ("$now", Now())) == 1,
            cancellationToken));

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
        => new(Write(
            s => s.Execute(
                $"""
                INSERT INTO {Table} (key, value, expires_at, taken_at, partition) VALUES ($key, $value, $expires_at, NULL, $partition)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, taken_at = NULL, partition = excluded.partition;
                """,
                ("$key", key), ("$value", value), ("$expires_at", expiresAt.UtcTicks), ("$partition", partition)),
            cancellationToken));

    // Blobs compare byte for byte (memcmp); taken_at and partition are left as they are.
    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => new(Write(
            s => s.Execute(
                $"UPDATE {Table} SET value = $value, expires_at = $expires_at WHERE key = $key AND expires_at > $now AND value = $expected;",
                ("$key", key), ("$expected", expected), ("$value", value), ("$expires_at", expiresAt.UtcTicks), ("$now", Now())) == 1,
            cancellationToken));

    public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
        => new(Write(
            s =>
            {
                // RETURNING would give the remainder, not the value taken: read it in the write transaction instead, which
                // holds the write lock from its start, so no other connection can take the entry in between.
                if (ReadLive(s, key, Now()) is not { } entry)
                {
                    return new McpTakeResult(McpTakeStatus.NotFound, null);
                }

                if (entry.TakenAt is not null)
                {
                    return new McpTakeResult(McpTakeStatus.AlreadyTaken, entry);
                }

                s.Execute(
                    $"UPDATE {Table} SET value = $value, expires_at = $expires_at, taken_at = $taken_at WHERE key = $key;",
                    ("$key", key), ("$value", remainder), ("$expires_at", keepUntil.UtcTicks), ("$taken_at", now.UtcTicks));
                return new McpTakeResult(McpTakeStatus.Taken, new McpStoredEntry(entry.Value, entry.ExpiresAt, now));
            },
            cancellationToken));

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
        => new(Write(
            s =>
            {
                using var reader = s.Prepared($"DELETE FROM {Table} WHERE key = $key RETURNING expires_at;", ("$key", key)).ExecuteReader();
                return reader.Read() && reader.GetInt64(0) > Now();
            },
            cancellationToken));

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
        => Read<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>>(
            s =>
            {
                using var reader = s.Prepared(
                    $"SELECT key, {Columns} FROM {Table} WHERE partition = $partition AND expires_at > $now;",
                    ("$partition", partition), ("$now", Now())).ExecuteReader();
                var found = new List<KeyValuePair<string, McpStoredEntry>>();
                while (reader.Read())
                {
                    found.Add(KeyValuePair.Create(reader.GetString(0), Entry(reader, 1)));
                }

                return found;
            },
            cancellationToken);

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
        => Read(
            s => (long)s.Prepared($"SELECT count(*) FROM {Table} WHERE partition = $partition AND expires_at > $now;", ("$partition", partition), ("$now", Now())).ExecuteScalar()!,
            cancellationToken);

    /// <summary>Runs <paramref name="operation"/> on the writer's connection, in a write transaction (for tests and diagnostics).</summary>
    internal Task<T> OnWriterAsync<T>(Func<SqliteStatements, T> operation) => Write(operation, CancellationToken.None);

    /// <summary>Finishes the queued operations and closes the file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _writer.Dispose();
            _reader.Dispose();
        }
    }

    private Task<T> Write<T>(Func<SqliteStatements, T> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        return _writer.RunAsync(operation, cancellationToken);
    }

    private ValueTask<T> Read<T>(Func<SqliteStatements, T> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        return new(_reader.RunAsync(operation, cancellationToken));
    }

    private long Now() => _time.GetUtcNow().UtcTicks;

    private static McpStoredEntry? ReadLive(SqliteStatements statements, string key, long now)
    {
        using var reader = statements.Prepared($"SELECT {Columns} FROM {Table} WHERE key = $key AND expires_at > $now;", ("$key", key), ("$now", now)).ExecuteReader();
        return reader.Read() ? Entry(reader, 0) : null;
    }

    private static McpStoredEntry Entry(SqliteDataReader reader, int first) => new(
        reader.GetFieldValue<byte[]>(first),
        new DateTimeOffset(reader.GetInt64(first + 1), TimeSpan.Zero),
        reader.IsDBNull(first + 2) ? null : new DateTimeOffset(reader.GetInt64(first + 2), TimeSpan.Zero));

    // Expired rows only cost space, so one DELETE a minute at most, at the start of a write batch (a failure then writes
    // nothing of the batch).
    private void Sweep(SqliteStatements statements)
    {
        var now = Now();
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + TimeSpan.TicksPerMinute;
        statements.Execute($"DELETE FROM {Table} WHERE expires_at <= $now;", ("$now", now));
    }
}
