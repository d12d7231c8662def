using System.Diagnostics;
using System.Text;
using McpSseAuth.Sqlite;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Storage;

/// <summary>
/// The SQLite storage keeps the contract (a second client is a second storage on the same file, as a second server process
/// would open it), and what only a file can do: survive a restart, stay owner-only, fail clearly when damaged or locked.
/// </summary>
public sealed class SqliteStorageTests : StorageContract
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mcpsseauth-sqlite-" + Guid.NewGuid().ToString("N"));
    private readonly List<SqliteOAuthStorage> _opened = [];

    // A folder that does not exist yet: the storage creates it.
    private string DatabasePath => Path.Combine(_root, "data", "oauth.db");

    protected override IMcpOAuthStorage Create(TimeProvider time) => Open(DatabasePath, time);

    protected override IMcpOAuthStorage CreateAnother(TimeProvider time) => Open(DatabasePath, time);

    public override Task DisposeAsync()
    {
        foreach (var storage in _opened)
        {
            storage.Dispose();
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return Task.CompletedTask;
    }

    private SqliteOAuthStorage Open(string path, TimeProvider time, TimeSpan? busyTimeout = null)
    {
        var storage = new SqliteOAuthStorage(path, time, busyTimeout ?? SqliteOAuthStorage.DefaultBusyTimeout);
        _opened.Add(storage);
        return storage;
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(McpStoredEntry? entry) => entry is null ? "<none>" : Encoding.UTF8.GetString(entry.Value.Span);

    /// <summary>A connection of its own, outside the storage's pool, as another program would open the file.</summary>
    private static SqliteConnection Connect(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(string path, string sql)
    {
        using var connection = Connect(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public async Task Entries_survive_closing_and_reopening_the_file()
    {
        var now = Time.GetUtcNow();
        await Storage.SetAsync("kept", Bytes("value"), now.AddHours(1), "p", default);
        await Storage.SetAsync("forever", Bytes("always"), DateTimeOffset.MaxValue, null, default);
        await Storage.SetAsync("code", Bytes("code"), now.AddHours(1), "p", default);
        await Storage.TryTakeAsync("code", Bytes("spent"), now.AddDays(1), now.AddMinutes(1), default);
        ((SqliteOAuthStorage)Storage).Dispose();

        var reopened = Open(DatabasePath, Time);
        var kept = await reopened.GetAsync("kept", default);
        Assert.Equal("value", Text(kept));
        Assert.Equal(now.AddHours(1), kept!.ExpiresAt);
        Assert.Equal(DateTimeOffset.MaxValue, (await reopened.GetAsync("forever", default))!.ExpiresAt);
        var spent = await reopened.TryTakeAsync("code", Bytes("again"), now.AddDays(1), now.AddMinutes(2), default);
        Assert.Equal(McpTakeStatus.AlreadyTaken, spent.Status);
        Assert.Equal("spent", Text(spent.Entry));
        Assert.Equal(now.AddMinutes(1), spent.Entry!.TakenAt);
        Assert.Equal(["code", "kept"], (await reopened.ListAsync("p", default)).Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_file_is_a_versioned_database_in_WAL_mode()
    {
        Assert.Equal("wal", Scalar(DatabasePath, "PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteDatabase.SchemaVersion, Scalar(DatabasePath, "PRAGMA user_version;"));
    }

    private static Task<long> SynchronousAsync(SqliteOAuthStorage storage) => storage.OnWriterAsync(s => (long)s.Prepared("PRAGMA synchronous;").ExecuteScalar()!);

    [Fact]
    public async Task Commits_wait_for_the_disk_only_when_durable_commits_are_asked_for()
    {
        // 1 is NORMAL (SQLite's advice in WAL mode), 2 FULL (an fsync per commit), on the connection that writes.
        var storage = (SqliteOAuthStorage)Storage;
        Assert.Equal(1L, await SynchronousAsync(storage));
        var durable = new SqliteOAuthStorage(Path.Combine(_root, "durable.db"), Time, SqliteOAuthStorage.DefaultBusyTimeout, durableCommits: true);
        _opened.Add(durable);
        Assert.Equal(2L, await SynchronousAsync(durable));
    }

    [Fact]
    public async Task AddMcpOAuthSqlite_waits_for_the_disk_on_every_commit_unless_told_otherwise()
    {
        async Task<long> Synchronous(string path, Action<McpSqliteOptions>? configure)
        {
            await using var services = new ServiceCollection().AddMcpOAuthSqlite(path, configure).BuildServiceProvider();
            return await SynchronousAsync((SqliteOAuthStorage)services.GetRequiredService<IMcpOAuthStorage>());
        }

        // A revocation or a spent refresh token must survive a power loss: FULL (2) unless the app accepts NORMAL (1).
        Assert.Equal(2L, await Synchronous(Path.Combine(_root, "default.db"), null));
        Assert.Equal(1L, await Synchronous(Path.Combine(_root, "fast.db"), o => o.DurableCommits = false));
    }

    [Fact]
    public async Task The_database_folder_and_files_are_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix modes only; on Windows the file inherits its folder's ACL.
        }

        await Storage.SetAsync("k", Bytes("v"), Time.GetUtcNow().AddHours(1), null, default);
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(Path.GetDirectoryName(DatabasePath)!));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(DatabasePath));

        // SQLite gives its WAL and shared-memory files the database's mode.
        using var reader = Connect(DatabasePath);
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(DatabasePath + "-wal"));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(DatabasePath + "-shm"));
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_a_startup_error_that_names_it_and_the_fix()
    {
        var path = Path.Combine(_root, "damaged.db");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("this is not a database. ", 200)));

        var error = Assert.Throws<InvalidOperationException>(() => Open(path, Time));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("Restore it from a backup", error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public void A_database_of_a_newer_schema_is_refused_at_startup()
    {
        using (var connection = Connect(DatabasePath))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA user_version = 99;";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<InvalidOperationException>(() => Open(DatabasePath, Time));
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_lock_held_past_the_busy_timeout_is_storage_unavailable_and_reads_go_on()
    {
        var storage = Open(DatabasePath, Time, TimeSpan.FromSeconds(1));
        var until = Time.GetUtcNow().AddHours(1);
        await storage.SetAsync("k", Bytes("before"), until, null, default);

        using (var locker = Connect(DatabasePath))
        using (var transaction = locker.BeginTransaction(deferred: false))
        {
            using (var command = locker.CreateCommand())
            {
                command.CommandText = "UPDATE mcp_oauth_entries SET value = x'00' WHERE key = 'k';";
                command.ExecuteNonQuery();
            }

            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<McpStorageUnavailableException>(() => storage.SetAsync("k", Bytes("blocked"), until, null, default).AsTask());
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
            Assert.IsType<SqliteException>(error.InnerException);
            Assert.Contains(DatabasePath, error.Message, StringComparison.Ordinal);

            await Assert.ThrowsAsync<McpStorageUnavailableException>(() => storage.TryTakeAsync("k", Bytes("r"), until, Time.GetUtcNow(), default).AsTask());

            // WAL: a writer does not block readers, who see the last committed value.
            Assert.Equal("before", Text(await storage.GetAsync("k", default)));
            transaction.Rollback();
        }

        await storage.SetAsync("k", Bytes("after"), until, null, default);
        Assert.Equal("after", Text(await storage.GetAsync("k", default)));
    }

    [Fact]
    public async Task A_write_waiting_for_the_file_does_not_block_its_caller_and_completes_once_the_lock_is_free()
    {
        var until = Time.GetUtcNow().AddHours(1);
        await Storage.SetAsync("k", Bytes("before"), until, null, default);

        ValueTask pending;
        using (var locker = Connect(DatabasePath))
        using (var transaction = locker.BeginTransaction(deferred: false))
        {
            // The file is locked by another program: the call returns at once, its write queued on the storage's writer.
            var clock = Stopwatch.StartNew();
            pending = Storage.SetAsync("k", Bytes("after"), until, null, default);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"SetAsync blocked its caller for {clock.Elapsed}.");
            Assert.False(pending.IsCompleted);
            Assert.Equal("before", Text(await Storage.GetAsync("k", default)));
            transaction.Rollback();
        }

        await pending;
        Assert.Equal("after", Text(await Storage.GetAsync("k", default)));
        Assert.Equal("McpSseAuth SQLite writer", await ((SqliteOAuthStorage)Storage).OnWriterAsync(_ => Thread.CurrentThread.Name));
    }

    [Fact]
    public async Task Writes_arriving_together_are_each_committed_with_their_own_outcome()
    {
        var until = Time.GetUtcNow().AddHours(1);
        await Storage.SetAsync("taken", Bytes("code"), until, null, default);

        // 400 adds of distinct keys, 20 adds racing for one key, 20 takes racing for one entry, all queued at once: the
        // writer commits them in batches, and each gets the outcome it would have alone.
        var adds = Enumerable.Range(0, 400).Select(i => Storage.TryAddAsync($"key-{i}", Bytes($"v{i}"), until, "many", default).AsTask()).ToList();
        var racingAdds = Enumerable.Range(0, 20).Select(i => Storage.TryAddAsync("contended", Bytes($"c{i}"), until, null, default).AsTask()).ToList();
        var takes = Enumerable.Range(0, 20).Select(i => Storage.TryTakeAsync("taken", Bytes($"r{i}"), until, Time.GetUtcNow(), default).AsTask()).ToList();

        Assert.All(await Task.WhenAll(adds), Assert.True);
        Assert.Single(await Task.WhenAll(racingAdds), won => won);
        Assert.Single(await Task.WhenAll(takes), t => t.Status == McpTakeStatus.Taken);
        Assert.Equal(400, await Storage.CountAsync("many", default));

        // On disk, not only in this storage: another program reads them.
        Assert.Equal(400L, Scalar(DatabasePath, "SELECT count(*) FROM mcp_oauth_entries WHERE partition = 'many';"));
    }

    [Fact]
    public async Task The_writer_checkpoints_after_answering_once_a_second_and_the_WAL_starts_over_instead_of_growing()
    {
        var storage = (SqliteOAuthStorage)Storage;
        // SQLite's automatic checkpoint would run inside a commit of the writer, every request of the batch waiting for it.
        Assert.Equal(0L, await storage.OnWriterAsync(s => (long)s.Prepared("PRAGMA wal_autocheckpoint;").ExecuteScalar()!));

        var file = new FileInfo(DatabasePath);
        var wal = new FileInfo(DatabasePath + "-wal");
        var value = new byte[2048];
        var until = Time.GetUtcNow().AddDays(1);
        Task WriteMegabyte(string round) => Task.WhenAll(Enumerable.Range(0, 500).Select(i => Storage.SetAsync($"{round}-{i}", value, until, null, default).AsTask()));

        // The writer checkpoints after answering a batch: an operation queued after the batch runs after its checkpoint.
        Task Settled() => storage.OnWriterAsync(_ => 0);

        await WriteMegabyte("first");
        await Settled();
        var checkpoints = storage.Checkpoints;
        Assert.InRange(checkpoints, 1, long.MaxValue);   // the first batch's, then none within the second
        file.Refresh();
        var before = file.Length;
        wal.Refresh();
        var walAfterFirst = wal.Length;
        Assert.InRange(walAfterFirst, 500 * 2048, long.MaxValue);

        // A second later the next batch is followed by a checkpoint that copies everything into the file.
        Time.Advance(SqliteCheckpointer.Interval);
        await Storage.SetAsync("tick", value, until, null, default);
        await Settled();
        Assert.Equal(checkpoints + 1, storage.Checkpoints);
        file.Refresh();
        Assert.True(file.Length >= before + (400 * 2048), $"the file stayed at {file.Length} bytes (was {before})");

        // The WAL was copied whole, so the next transaction writes it from its start again: the file does not grow on.
        await WriteMegabyte("second");
        wal.Refresh();
        Assert.True(wal.Length < walAfterFirst * 3 / 2, $"the WAL grew from {walAfterFirst} to {wal.Length} bytes");
    }

    [Fact]
    public async Task Expired_rows_are_deleted_from_the_file_once_a_minute_as_writes_arrive()
    {
        var start = Time.GetUtcNow();
        await Storage.SetAsync("short", Bytes("x"), start.AddSeconds(30), null, default);
        const string Rows = "SELECT count(*) FROM mcp_oauth_entries WHERE key = 'short';";

        Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(await Storage.GetAsync("short", default));
        await Storage.SetAsync("other", Bytes("y"), start.AddHours(1), null, default);
        Assert.Equal(1L, Scalar(DatabasePath, Rows)); // the first write swept at the start: not again within the minute

        Time.Advance(TimeSpan.FromSeconds(30));
        await Storage.SetAsync("other", Bytes("z"), start.AddHours(1), null, default);
        Assert.Equal(0L, Scalar(DatabasePath, Rows));
        Assert.Equal("z", Text(await Storage.GetAsync("other", default)));
    }

    [Fact]
    public async Task An_empty_value_is_kept_and_compared_as_bytes()
    {
        var until = Time.GetUtcNow().AddHours(1);
        await Storage.SetAsync("empty", ReadOnlyMemory<byte>.Empty, until, null, default);
        var entry = await Storage.GetAsync("empty", default);
        Assert.NotNull(entry);
        Assert.Equal(0, entry.Value.Length);
        Assert.False(await Storage.TryReplaceAsync("empty", new byte[] { 0 }, Bytes("no"), until, default));
        Assert.True(await Storage.TryReplaceAsync("empty", ReadOnlyMemory<byte>.Empty, Bytes("full"), until, default));
        Assert.Equal("full", Text(await Storage.GetAsync("empty", default)));
    }

    [Fact]
    public async Task AddMcpOAuthSqlite_registers_the_storage_and_keeps_Data_Protection_keys_beside_the_database()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddMcpOAuth();
        var path = Path.Combine(_root, "app", "mcp.db");
        services.AddMcpOAuthSqlite(path);

        await using var provider = services.BuildServiceProvider();
        var storage = Assert.IsType<SqliteOAuthStorage>(provider.GetRequiredService<IMcpOAuthStorage>());
        Assert.Equal(path, storage.Database.Path);
        await storage.SetAsync("k", Bytes("v"), Time.GetUtcNow().AddMinutes(1), null, default);
        Assert.True(File.Exists(path));

        var protector = provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("secret", protector.Unprotect(protector.Protect("secret")));
        var keys = Path.Combine(_root, "app", "dataprotection-keys");
        Assert.Single(Directory.GetFiles(keys, "key-*.xml"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(keys));
        }
    }

    [Fact]
    public async Task AddMcpOAuthSqlite_called_again_replaces_the_file_and_the_key_folder()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMcpOAuth();
        services.AddMcpOAuthSqlite(Path.Combine(_root, "first", "mcp.db"));
        var keys = Path.Combine(_root, "keys");
        services.AddMcpOAuthSqlite(Path.Combine(_root, "second", "mcp.db"), o => o.DataProtectionKeysDirectory = keys);

        Assert.Single(services, d => d.ServiceType == typeof(IMcpOAuthStorage) && !d.IsKeyedService);
        await using var provider = services.BuildServiceProvider();
        Assert.Equal(Path.Combine(_root, "second", "mcp.db"), Assert.IsType<SqliteOAuthStorage>(provider.GetRequiredService<IMcpOAuthStorage>()).Database.Path);
        var repository = Assert.IsType<FileSystemXmlRepository>(provider.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository);
        Assert.Equal(keys, repository.Directory.FullName);

        provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("secret");
        Assert.Single(Directory.GetFiles(keys, "key-*.xml"));
        Assert.False(Directory.Exists(Path.Combine(_root, "first")));
    }

    [Fact]
    public void AddMcpOAuthSqlite_without_a_key_folder_leaves_Data_Protection_alone()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMcpOAuthSqlite(Path.Combine(_root, "mcp.db"), o => o.DataProtectionKeysDirectory = null);

        using var provider = services.BuildServiceProvider();
        var repository = provider.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository;
        Assert.False(repository is FileSystemXmlRepository files && files.Directory.FullName.StartsWith(_root, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_root, McpSqliteOptions.DefaultDataProtectionFolderName)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(":memory:")]
    [InlineData("Data Source=mcp.db")]
    [InlineData("Mode=ReadWrite;DataSource=mcp.db")]
    [InlineData("file:mcp.db?mode=rwc")]
    public void AddMcpOAuthSqlite_refuses_what_is_not_a_file_path_with_the_fix(string path)
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpOAuthSqlite(path));
        Assert.Equal("databasePath", error.ParamName);
        Assert.Contains("AddMcpOAuthSqlite", error.Message, StringComparison.Ordinal);
        Assert.Contains("for example", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMcpOAuthSqlite_accepts_a_path_that_only_mentions_a_connection_string_keyword()
    {
        var path = Path.Combine(_root, "datasource", "Data Source files", "mcp.db");
        using var provider = new ServiceCollection().AddMcpOAuthSqlite(path).BuildServiceProvider();
        Assert.Equal(path, Assert.IsType<SqliteOAuthStorage>(provider.GetRequiredService<IMcpOAuthStorage>()).Database.Path);
    }

    [Fact]
    public void AddMcpOAuthSqlite_refuses_a_folder_and_suggests_a_file_in_it()
    {
        Directory.CreateDirectory(_root);
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpOAuthSqlite(_root));
        Assert.Contains(Path.Combine(_root, "mcp-oauth.db"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_key_folder_setting_is_refused_with_the_fix()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMcpOAuthSqlite(DatabasePath, o => o.DataProtectionKeysDirectory = " "));
        Assert.Contains("set it to null", error.Message, StringComparison.Ordinal);
    }
}
