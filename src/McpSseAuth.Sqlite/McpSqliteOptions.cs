namespace McpSseAuth.Sqlite;

/// <summary>Settings of the SQLite storage, given to the callback of <c>services.AddMcpOAuthSqlite(path, configure)</c>.</summary>
public sealed class McpSqliteOptions
{
    /// <summary>The name of the folder beside the database that holds the Data Protection keys by default.</summary>
    internal const string DefaultDataProtectionFolderName = "dataprotection-keys";

    internal McpSqliteOptions(string databasePath)
    {
        DataProtectionKeysDirectory = Path.Combine(Path.GetDirectoryName(databasePath)!, DefaultDataProtectionFolderName);
    }

    /// <summary>
    /// Where ASP.NET Core Data Protection keeps its keys (<c>PersistKeysToFileSystem</c>), created owner-only when missing.
    /// They protect the sign-in cookie and the users' stored secrets in the database, so they must survive restarts with it,
    /// and be backed up with it. Default: a folder <c>dataprotection-keys</c> beside the database file. Null leaves Data
    /// Protection as the application configured it (for example to keep the keys elsewhere, or to encrypt them at rest).
    /// A relative path is taken from the current directory.
    /// </summary>
    public string? DataProtectionKeysDirectory { get; set; }

    /// <summary>
    /// Whether every commit waits until it is on the disk (SQLite <c>synchronous=FULL</c>) before McpSseAuth answers.
    /// Default true: what McpSseAuth stores includes revocations, spent codes and rotated refresh tokens, which must not come
    /// back after a power loss. The writes of concurrent requests share one commit (group commit), so under load the wait
    /// for the disk is shared too: in the benchmark, refresh grants on durable commits run at about 0.85 of their rate with
    /// false. False gives <c>synchronous=NORMAL</c>, which SQLite recommends in WAL mode for speed: the database cannot be
    /// corrupted and a crash of the process loses nothing, but an operating-system crash or a power loss may lose the last
    /// commits — a revocation (revoked access works again), a code redeemed or a refresh token rotated in the last moments
    /// (usable once more), a registration. Choose false only where that risk is acceptable.
    /// </summary>
    public bool DurableCommits { get; set; } = true;
}
