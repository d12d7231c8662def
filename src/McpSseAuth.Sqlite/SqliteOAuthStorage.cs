using McpSseAuth.Storage;
using Microsoft.Data.Sqlite;
using static McpSseAuth.Sqlite.SqliteDatabase;

namespace McpSseAuth.Sqlite;

/// <summary>
/// <see cref="IMcpOAuthStorage"/> in one SQLite file: survives restarts, and the server instances of one machine may share
/// it. One row per entry, times in UTC ticks (<see cref="DateTimeOffset.MaxValue"/> for never); a row whose expiry has passed
/// on McpSseAuth's clock is absent for every operation, and rows expired on that clock are deleted at most once a minute,
/// as writes arrive. Each operation is one statement, or an IMMEDIATE transaction that holds the write lock from its
/// first read, so the processes sharing the file see exactly one winner of a take or a swap.
/// </summary>
internal sealed class SqliteOAuthStorage : IMcpOAuthStorage, IDisposable
{
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    private const string Columns = "value, expires_at, taken_at";

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;
    private long _nextSweep = long.MinValue;
    private volatile bool _disposed;

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
    }

    /// <summary>The database file and its connections.</summary>
    internal SqliteDatabase Database => _database;

    public ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        return ValueTask.FromResult(_database.Run(connection => ReadLive(connection, key, Now())));
    }

    public ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        return ValueTask.FromResult(_database.Run(connection =>
        {
            var now = Now();
            Sweep(connection, now);
            // An expired row is replaced as if it were not there.
            return Execute(
                connection,
                $"""
                INSERT INTO {Table} (key, value, expires_at, taken_at, partition) VALUES ($key, $value, $expires_at, NULL, $partition)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, taken_at = NULL, partition = excluded.partition
                WHERE {Table}.expires_at <= $now;
                """,
                ("$key", key), ("$value", value), ("$expires_at", expiresAt.UtcTicks), ("$partition", partition), ("$now", now)) == 1;
        }));
    }

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        _database.Run(connection =>
        {
            Sweep(connection, Now());
            Execute(
                connection,
                $"""
                INSERT INTO {Table} (key, value, expires_at, taken_at, partition) VALUES ($key, $value, $expires_at, NULL, $partition)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, taken_at = NULL, partition = excluded.partition;
                """,
                ("$key", key), ("$value", value), ("$expires_at", expiresAt.UtcTicks), ("$partition", partition));
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        // Blobs compare byte for byte (memcmp); taken_at and partition are left as they are.
        return ValueTask.FromResult(_database.Run(connection => Execute(
            connection,
            $"UPDATE {Table} SET value = $value, expires_at = $expires_at WHERE key = $key AND expires_at > $now AND value = $expected;",
            ("$key", key), ("$expected", expected), ("$value", value), ("$expires_at", expiresAt.UtcTicks), ("$now", Now())) == 1));
    }

    public ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        return ValueTask.FromResult(_database.Run(connection =>
        {
            // RETURNING would give the remainder, not the value taken: read it under the write lock instead, which
            // BEGIN IMMEDIATE holds from the start, so no other connection can take the entry in between.
            using var transaction = connection.BeginTransaction(deferred: false);
            if (ReadLive(connection, key, Now()) is not { } entry)
            {
                return new McpTakeResult(McpTakeStatus.NotFound, null);
            }

            if (entry.TakenAt is not null)
            {
                return new McpTakeResult(McpTakeStatus.AlreadyTaken, entry);
            }

            Execute(
                connection,
                $"UPDATE {Table} SET value = $value, expires_at = $expires_at, taken_at = $taken_at WHERE key = $key;",
                ("$key", key), ("$value", remainder), ("$expires_at", keepUntil.UtcTicks), ("$taken_at", now.UtcTicks));
            transaction.Commit();
            return new McpTakeResult(McpTakeStatus.Taken, new McpStoredEntry(entry.Value, entry.ExpiresAt, now));
        }));
    }

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        return ValueTask.FromResult(_database.Run(connection =>
        {
            using var command = Command(connection, $"DELETE FROM {Table} WHERE key = $key RETURNING expires_at;", ("$key", key));
            using var reader = command.ExecuteReader();
            return reader.Read() && reader.GetInt64(0) > Now();
        }));
    }

    public ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        return ValueTask.FromResult<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>>(_database.Run(connection =>
        {
            using var command = Command(
                connection,
                $"SELECT key, {Columns} FROM {Table} WHERE partition = $partition AND expires_at > $now;",
                ("$partition", partition), ("$now", Now()));
            using var reader = command.ExecuteReader();
            var found = new List<KeyValuePair<string, McpStoredEntry>>();
            while (reader.Read())
            {
                found.Add(KeyValuePair.Create(reader.GetString(0), Entry(reader, 1)));
            }

            return found;
        }));
    }

    public ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
    {
        Begin(cancellationToken);
        return ValueTask.FromResult(_database.Run(connection =>
        {
            using var command = Command(connection, $"SELECT count(*) FROM {Table} WHERE partition = $partition AND expires_at > $now;", ("$partition", partition), ("$now", Now()));
            return (long)command.ExecuteScalar()!;
        }));
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _database.ClosePool();
        }
    }

    // Microsoft.Data.Sqlite has no asynchronous I/O: each operation runs to completion on the calling thread.
    private void Begin(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private long Now() => _time.GetUtcNow().UtcTicks;

    private static McpStoredEntry? ReadLive(SqliteConnection connection, string key, long now)
    {
        using var command = Command(connection, $"SELECT {Columns} FROM {Table} WHERE key = $key AND expires_at > $now;", ("$key", key), ("$now", now));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Entry(reader, 0) : null;
    }

    private static McpStoredEntry Entry(SqliteDataReader reader, int first) => new(
        reader.GetFieldValue<byte[]>(first),
        new DateTimeOffset(reader.GetInt64(first + 1), TimeSpan.Zero),
        reader.IsDBNull(first + 2) ? null : new DateTimeOffset(reader.GetInt64(first + 2), TimeSpan.Zero));

    // Expired rows only cost space, so one DELETE a minute at most, before a write (a failure then writes nothing).
    private void Sweep(SqliteConnection connection, long now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + TimeSpan.TicksPerMinute, due) != due)
        {
            return;
        }

        Execute(connection, $"DELETE FROM {Table} WHERE expires_at <= $now;", ("$now", now));
    }
}
