using Microsoft.Data.Sqlite;

namespace McpSseAuth.Sqlite;

/// <summary>
/// A worker's connection and its statements, each prepared once and kept for the connection's life (SQLite parses and
/// plans a statement once; afterwards only its parameters are bound). Used by one thread at a time.
/// </summary>
internal sealed class SqliteStatements(SqliteDatabase database, SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    public SqliteDatabase Database => database;

    public SqliteConnection Connection => connection;

    /// <summary>Whether a transaction is open on the connection.</summary>
    public bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0;

    /// <summary>Set when the connection should be closed and another opened for the next work.</summary>
    public bool Broken { get; set; }

    /// <summary>The prepared statement for <paramref name="sql"/>, its parameters bound to <paramref name="parameters"/> (null binds NULL).</summary>
    public SqliteCommand Prepared(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _prepared[sql] = command;
        }

        foreach (var (name, value) in parameters)
        {
            var bound = command.Parameters.Contains(name) ? command.Parameters[name] : command.Parameters.Add(new SqliteParameter { ParameterName = name });
            bound.Value = value ?? DBNull.Value;
        }

        return command;
    }

    /// <summary>Runs a prepared statement that returns no rows; the number of rows it changed.</summary>
    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) => Prepared(sql, parameters).ExecuteNonQuery();

    /// <summary>Rolls the open transaction back, if any; a failure here leaves the connection marked broken.</summary>
    public void TryRollback()
    {
        try
        {
            if (!connection.Handle!.IsInvalid && InTransaction)
            {
                Execute("ROLLBACK;");
            }
        }
        catch (SqliteException)
        {
            Broken = true;
        }
    }

    public void Dispose()
    {
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }

        connection.Dispose();
    }
}
