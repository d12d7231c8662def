using static SQLitePCL.raw;

namespace McpSseAuth.Sqlite;

/// <summary>
/// Copies the WAL into the database file on the writer's connection after the writer has answered a batch, at most once
/// per <see cref="Interval"/>. SQLite's automatic checkpoint (off on the writer's connection:
/// <see cref="SqliteDatabase.Open"/> with <c>writer: true</c>) runs inside a commit whenever the WAL passes 1,000 pages,
/// so every request of that batch waits for it; here the batch is answered first, and a page written many times in an
/// interval is copied once. Running on the writer's thread, between two of its transactions, is what lets the next
/// transaction start the WAL over from its beginning (a checkpoint on another connection, racing the writer's commits,
/// never catches up under a steady load and the WAL grows without end). The checkpoint is PASSIVE: it neither waits for
/// nor blocks the reader. With <c>synchronous=NORMAL</c> the WAL is synced at each checkpoint, so a power cut can undo
/// at most about one interval of commits.
/// </summary>
internal sealed class SqliteCheckpointer(TimeProvider time)
{
    /// <summary>The least time between two checkpoints.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private long _next = long.MinValue;
    private long _checkpoints;

    /// <summary>How many checkpoints ran (for tests and diagnostics).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Called by the writer after it answered a committed batch, outside any transaction.</summary>
    public void AfterCommit(SqliteStatements statements)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (now < _next)
        {
            return;
        }

        _next = now + Interval.Ticks;
        // A busy or failed checkpoint leaves the WAL as it is: the next interval tries again, and a broken file shows in
        // the next transaction.
        if (sqlite3_wal_checkpoint_v2(statements.Connection.Handle, null, SQLITE_CHECKPOINT_PASSIVE, out _, out _) is SQLITE_OK)
        {
            Interlocked.Increment(ref _checkpoints);
        }
    }
}
