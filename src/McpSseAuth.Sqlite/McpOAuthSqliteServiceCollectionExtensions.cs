using McpSseAuth.Sqlite;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps McpSseAuth's state in a SQLite file.</summary>
public static class McpOAuthSqliteServiceCollectionExtensions
{
    /// <summary>
    /// Keeps McpSseAuth's state (clients, codes, refresh tokens, grants, consents, revocations, stored secrets, the signing
    /// key ring) in the SQLite file <paramref name="databasePath"/>, so a restart signs nobody out, and persists ASP.NET
    /// Core Data Protection keys beside it (see <see cref="McpSqliteOptions.DataProtectionKeysDirectory"/>). The file and
    /// its folder are created owner-only when missing. Several server processes on one machine may share the file.
    /// Calling it again replaces the earlier choice.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="databasePath">The database file, for example <c>/var/lib/my-server/mcp-oauth.db</c>; a relative path is taken from the current directory.</param>
    /// <param name="configure">Changes <see cref="McpSqliteOptions"/>.</param>
    /// <returns>The services, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="databasePath"/> is empty, a folder, or a connection string.</exception>
    public static IServiceCollection AddMcpOAuthSqlite(this IServiceCollection services, string databasePath, Action<McpSqliteOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(databasePath);
        var path = DatabaseFilePath(databasePath);
        var options = new McpSqliteOptions(path);
        configure?.Invoke(options);
        var keys = options.DataProtectionKeysDirectory is { } directory ? KeysFolderPath(directory) : null;

        var durableCommits = options.DurableCommits;
        services.AddMcpOAuthStorage(sp => new SqliteOAuthStorage(path, sp.GetService<TimeProvider>() ?? TimeProvider.System, SqliteOAuthStorage.DefaultBusyTimeout, durableCommits));

        // A second call replaces the key folder of the first rather than adding a second one.
        foreach (var earlier in services.Where(d => d.ServiceType == typeof(DataProtectionKeysFolder)).ToList())
        {
            services.Remove(earlier);
            foreach (var added in ((DataProtectionKeysFolder)earlier.ImplementationInstance!).Registrations)
            {
                services.Remove(added);
            }
        }

        if (keys is not null)
        {
            var builder = services.AddDataProtection();
            var first = services.Count;
            // Runs before PersistKeysToFileSystem's setup and any key is read: the framework would create the folder
            // with the default mode (usually readable by every account), and on Linux and macOS the keys are not encrypted.
            services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(new ConfigureOptions<KeyManagementOptions>(_ => CreateKeysFolder(keys)));
            builder.PersistKeysToFileSystem(new DirectoryInfo(keys));
            services.AddSingleton(new DataProtectionKeysFolder(keys, [.. services.Skip(first)]));
        }

        return services;
    }

    private static string DatabaseFilePath(string databasePath)
    {
        if (string.IsNullOrWhiteSpace(databasePath))
        {
            throw new ArgumentException(
                "AddMcpOAuthSqlite needs the path of the database file, for example Path.Combine(builder.Environment.ContentRootPath, \"data\", \"mcp-oauth.db\").",
                nameof(databasePath));
        }

        if (databasePath.Trim() == ":memory:" || databasePath.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || IsConnectionString(databasePath))
        {
            throw new ArgumentException(
                $"AddMcpOAuthSqlite takes the path of a database file, not a SQLite connection string or URI: \"{databasePath}\". Pass only the path, for example /var/lib/my-server/mcp-oauth.db; to keep the state in memory, do not call AddMcpOAuthSqlite.",
                nameof(databasePath));
        }

        string path;
        try
        {
            path = Path.GetFullPath(databasePath);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"AddMcpOAuthSqlite cannot use \"{databasePath}\" as a file path: {e.Message}", nameof(databasePath), e);
        }

        if (Path.EndsInDirectorySeparator(path) || Directory.Exists(path))
        {
            throw new ArgumentException(
                $"AddMcpOAuthSqlite needs the path of a file, but \"{databasePath}\" is a folder. Name a file in it, for example {Path.Combine(Path.TrimEndingDirectorySeparator(path), "mcp-oauth.db")}.",
                nameof(databasePath));
        }

        return path;
    }

    // "Data Source=app.db;Mode=ReadWrite": a keyword of Microsoft.Data.Sqlite's that names the file, then '='.
    private static bool IsConnectionString(string value) => value.Split(';').Any(part =>
        part.Split('=', 2) is [var name, _] && name.Trim() is var keyword
        && (keyword.Equals("Data Source", StringComparison.OrdinalIgnoreCase) || keyword.Equals("DataSource", StringComparison.OrdinalIgnoreCase)
            || keyword.Equals("Filename", StringComparison.OrdinalIgnoreCase)));

    private static void CreateKeysFolder(string folder)
    {
        try
        {
            OwnerOnly.CreateFolder(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"McpSseAuth.Sqlite cannot create the Data Protection key folder {folder}: {e.Message} Create it and let this account write there, or set McpSqliteOptions.DataProtectionKeysDirectory to another folder.", e);
        }
    }

    private static string KeysFolderPath(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new ArgumentException(
                "McpSqliteOptions.DataProtectionKeysDirectory is empty. Name a folder for the Data Protection keys, or set it to null to leave Data Protection as the application configured it.",
                nameof(directory));
        }

        try
        {
            return Path.GetFullPath(directory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"McpSqliteOptions.DataProtectionKeysDirectory \"{directory}\" is not a usable folder path: {e.Message}", nameof(directory), e);
        }
    }
}

/// <summary>What AddMcpOAuthSqlite registered for the Data Protection keys, so that a second call can take it back.</summary>
internal sealed record DataProtectionKeysFolder(string Path, IReadOnlyList<ServiceDescriptor> Registrations);
