using static SQLitePCL.raw;

namespace McpSseAuth.Sqlite;

/// <summary>
/// Copies the WAL into the database file on a connection and a thread of its own, so that the writer's commits never wait
/// for a checkpoint. The writer's connection has SQLite's automatic checkpoint turned off (<see cref="SqliteDatabase.Open"/>
/// with <c>writer: true</c>); after a commit it calls <see cref="Committed"/>, and this thread runs a PASSIVE checkpoint
/// (it takes no write lock: commits go on meanwhile) at most once per <see cref="Interval"/>. A page written many times in
/// one interval is copied once. With <c>synchronous=NORMAL</c> the WAL is synced at each checkpoint, so a power cut
/// can undo at most about one interval of commits (SQLite's automatic checkpoint bounds it by 1,000 pages instead).
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    /// <summary>The least time between two checkpoints.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly SqliteDatabase _database;
    private readonly AutoResetEvent _committed = new(false);
    private readonly ManualResetEventSlim _stopping = new(false);
    private readonly Thread _thread;
    private long _checkpoints;

    public SqliteCheckpointer(SqliteDatabase database)
    {
        _database = database;
        _thread = new Thread(Run) { IsBackground = true, Name = "McpSseAuth SQLite checkpointer" };
        _thread.Start();
    }

    /// <summary>How many checkpoints ran (for tests and diagnostics).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Tells the checkpointer that the WAL has grown.</summary>
    public void Committed() => _committed.Set();

    /// <summary>Stops the thread; SQLite checkpoints what is left when the last connection closes the file.</summary>
    public void Dispose()
    {
        if (_stopping.IsSet)
        {
            return;
        }

        _stopping.Set();
        _committed.Set();
        _thread.Join();
    }

    private void Run()
    {
        Microsoft.Data.Sqlite.SqliteConnection? connection = null;
        try
        {
            while (true)
            {
                // Blocks this thread only: it exists to wait.
                _committed.WaitOne();
                if (_stopping.IsSet)
                {
                    return;
                }

                try
                {
                    connection ??= _database.Open();
                    // A busy or failed checkpoint leaves the WAL as it is: the next commit asks again.
                    if (sqlite3_wal_checkpoint_v2(connection.Handle, null, SQLITE_CHECKPOINT_PASSIVE, out _, out _) is SQLITE_OK)
                    {
                        Interlocked.Increment(ref _checkpoints);
                    }
                }
                catch (Exception)
                {
                    connection?.Dispose();
                    connection = null;
                }

                // The commits of the next interval share one checkpoint; Dispose cuts the wait short.
                if (_stopping.Wait(Interval))
                {
                    return;
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }
}
