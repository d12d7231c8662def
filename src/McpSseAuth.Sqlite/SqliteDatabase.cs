using System.Globalization;
using McpSseAuth.Storage;
using Microsoft.Data.Sqlite;
using static SQLitePCL.raw;

namespace McpSseAuth.Sqlite;

/// <summary>
/// The database file behind <see cref="SqliteOAuthStorage"/>: created owner-only, opened in WAL mode, its schema created or
/// migrated once; then the connections of its workers (<see cref="SqliteWorker"/>), with <c>synchronous=NORMAL</c> unless
/// durable commits were asked for (see <see cref="McpSqliteOptions.DurableCommits"/>). SQLite's errors become McpSseAuth's: a busy, full or unreachable
/// file is <see cref="McpStorageUnavailableException"/> (503, retried later), a damaged one an
/// <see cref="InvalidOperationException"/> that says how to recover.
/// </summary>
internal sealed class SqliteDatabase
{
    public const string Table = "mcp_oauth_entries";

    /// <summary>The schema this version writes, in <c>PRAGMA user_version</c>; 0 is a new, empty file.</summary>
    public const int SchemaVersion = 1;

    private const string CreateSchema = $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            key TEXT NOT NULL PRIMARY KEY,
            value BLOB NOT NULL,
            expires_at INTEGER NOT NULL,
            taken_at INTEGER NULL,
            partition TEXT NULL
        ) STRICT;
        CREATE INDEX IF NOT EXISTS {Table}_partition ON {Table} (partition) WHERE partition IS NOT NULL;
        """;

    private readonly string _connectionString;
    private readonly int _busyTimeoutSeconds;
    private readonly string _synchronous;

    /// <param name="path">The database file.</param>
    /// <param name="busyTimeout">How long an operation waits for another connection's write lock (whole seconds).</param>
    /// <param name="durableCommits">
    /// true: <c>synchronous=FULL</c>, each commit waits for the disk (fsync) before it returns. false: <c>synchronous=NORMAL</c>,
    /// which SQLite recommends in WAL mode: no corruption, and only an operating-system crash or power loss (not a crash
    /// of the process) can lose the last commits; the WAL is synced at checkpoints instead of at every commit.
    /// </param>
    public SqliteDatabase(string path, TimeSpan busyTimeout, bool durableCommits = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(busyTimeout, TimeSpan.FromSeconds(1));
        Path = System.IO.Path.GetFullPath(path);
        // Microsoft.Data.Sqlite retries a busy statement for DefaultTimeout whole seconds, sleeping 150 ms between tries;
        // SQLite's own handler (set in Run) waits as long in 1-100 ms steps, so racing writers get through about 4x sooner.
        _busyTimeoutSeconds = (int)Math.Ceiling(busyTimeout.TotalSeconds);
        // A setting of the connection, not of the file: set on each one the pool hands out (a cheap exec, no statement kept).
        _synchronous = durableCommits ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;";
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            // Never created by SQLite: a file deleted while the server runs is an error, not a new empty store with the
            // process's default mode.
            Mode = SqliteOpenMode.ReadWrite,
            // Each worker keeps its connection for the storage's life; closing one must release the file.
            Pooling = false,
            DefaultTimeout = _busyTimeoutSeconds,
        }.ToString();

        CreateFileOwnerOnly();
        try
        {
            using var connection = Open();
            // Persistent in the file: readers no longer block the writer, nor the writer readers.
            Execute(connection, "PRAGMA journal_mode = WAL;");
            using var transaction = connection.BeginTransaction(deferred: false);
            Migrate(connection);
            transaction.Commit();
        }
        catch (SqliteException e) when (TranslateSqlite(e) is { } translated)
        {
            throw translated;
        }
    }

    public string Path { get; }

    /// <summary>
    /// A new connection to the file with the busy timeout and the commit mode set; with <paramref name="readOnly"/> it
    /// refuses to write (<c>query_only</c>); as the storage's <paramref name="writer"/> it leaves checkpoints to
    /// <see cref="SqliteCheckpointer"/>. SQLite's errors are not translated.
    /// </summary>
    public SqliteConnection Open(bool readOnly = false, bool writer = false)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            sqlite3_busy_timeout(connection.Handle, _busyTimeoutSeconds * 1000);
            if (sqlite3_exec(connection.Handle, _synchronous + (readOnly ? "PRAGMA query_only = 1;" : "") + (writer ? "PRAGMA wal_autocheckpoint = 0;" : "")) is var result and not SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(result, connection.Handle);
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>What to throw for <paramref name="e"/>: SQLite's errors as McpSseAuth's (see the class), anything else as it is.</summary>
    public Exception Translate(Exception e) => e is SqliteException sqlite && TranslateSqlite(sqlite) is { } translated ? translated : e;

    public static int Execute(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private void Migrate(SqliteConnection connection)
    {
        using var read = Command(connection, "PRAGMA user_version;");
        var version = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        switch (version)
        {
            case 0:
                Execute(connection, CreateSchema);
                // PRAGMA takes no parameters; the value is our constant.
                Execute(connection, $"PRAGMA user_version = {SchemaVersion.ToString(CultureInfo.InvariantCulture)};");
                break;
            case SchemaVersion:
                break;
            default:
                throw new InvalidOperationException(
                    $"The SQLite database {Path} has schema version {version}, which this version of McpSseAuth.Sqlite does not know: it was written by a newer version, or the file belongs to another application. Update McpSseAuth.Sqlite, or give AddMcpOAuthSqlite another file.");
        }
    }

    private void CreateFileOwnerOnly()
    {
        try
        {
            var folder = System.IO.Path.GetDirectoryName(Path)!;
            OwnerOnly.CreateFolder(folder);
            if (File.Exists(Path))
            {
                // Never opened here: closing any handle to the file would drop SQLite's POSIX locks held by this process.
                return;
            }

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // Owner-only before SQLite writes a byte; its -wal and -shm files take the same mode.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            // An empty file is an empty database to SQLite.
            new FileStream(Path, options).Dispose();
        }
        catch (IOException) when (File.Exists(Path))
        {
            // Another process or storage created it first.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"McpSseAuth.Sqlite cannot create the database file {Path}: {e.Message} Create its folder and let this account write there, or give AddMcpOAuthSqlite another path.", e);
        }
    }

    private Exception? TranslateSqlite(SqliteException e) => e.SqliteErrorCode switch
    {
        SQLITE_BUSY or SQLITE_LOCKED => new McpStorageUnavailableException(
            $"The SQLite database {Path} stayed locked by another connection for more than {_busyTimeoutSeconds} s. If this lasts, look for a process holding a long transaction on it (a backup, a sqlite3 shell).", e),
        SQLITE_FULL => new McpStorageUnavailableException($"The SQLite database {Path} cannot grow: the disk is full. Free some space.", e),
        SQLITE_CANTOPEN or SQLITE_READONLY or SQLITE_PERM => new McpStorageUnavailableException(
            $"The SQLite database {Path} cannot be opened for writing ({e.Message}). Check that the file and its folder exist and that this account may read and write them.", e),
        SQLITE_IOERR or SQLITE_NOMEM or SQLITE_PROTOCOL or SQLITE_INTERRUPT => new McpStorageUnavailableException(
            $"The SQLite database {Path} cannot be used right now ({e.Message}).", e),
        SQLITE_CORRUPT or SQLITE_NOTADB => new InvalidOperationException(
            $"The file {Path} is not a SQLite database, or it is damaged ({e.Message}). Restore it from a backup, or move it aside with its -wal and -shm files to start an empty store (clients then register again and users sign in again).", e),
        _ => null,
    };
}

/// <summary>Folders and files only their owner may open: they hold refresh tokens, grants and signing keys.</summary>
internal static class OwnerOnly
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="folder"/> and its missing parents as 0700; an existing folder keeps its mode.</summary>
    public static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, FolderMode);
        }
    }
}
