using System.Collections.Concurrent;

namespace McpSseAuth.Sqlite;

/// <summary>
/// One connection to the database file on a thread of its own. Microsoft.Data.Sqlite has no asynchronous I/O, so the
/// storage's callers (request threads) only queue work here and await it; they never block on the file.
/// The writer runs what is queued in batches: one <c>BEGIN IMMEDIATE</c> transaction for up to <see cref="MaxBatch"/>
/// operations and one commit — so with durable commits the requests arriving together share one wait for the disk (group
/// commit) — and no operation is answered before its commit. The reader runs queries one after the other, outside any
/// write: in WAL mode it sees the last commit and is never blocked by the writer, nor by its wait for the disk. Each
/// connection keeps its statements prepared (<see cref="SqliteStatements"/>).
/// </summary>
internal sealed class SqliteWorker : IDisposable
{
    /// <summary>Most operations in one write transaction: bounds how long the write lock is held at once.</summary>
    public const int MaxBatch = 128;

    private readonly SqliteDatabase _database;
    private readonly bool _writes;
    private readonly Action<SqliteStatements>? _beforeBatch;
    private readonly Action<SqliteStatements>? _afterCommit;
    private readonly ConcurrentQueue<IWork> _queue = new();

    // A kernel wait, not a spinning one: on a 2-core machine a spinning worker takes CPU from the requests.
    private readonly AutoResetEvent _queued = new(false);
    private volatile bool _completed;
    private readonly Thread _thread;

    /// <param name="database">The file.</param>
    /// <param name="writes">true: the writer (batches in transactions); false: a reader.</param>
    /// <param name="name">The thread's name, for debuggers and dumps.</param>
    /// <param name="beforeBatch">The writer runs this first in each transaction (the storage's sweep of expired rows).</param>
    /// <param name="afterCommit">The writer runs this after each committed batch was answered (the checkpoint).</param>
    public SqliteWorker(SqliteDatabase database, bool writes, string name, Action<SqliteStatements>? beforeBatch = null, Action<SqliteStatements>? afterCommit = null)
    {
        _database = database;
        _writes = writes;
        _beforeBatch = beforeBatch;
        _afterCommit = afterCommit;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    private interface IWork
    {
        /// <summary>Runs the operation; false when it failed (its task is faulted and a write's savepoint must roll back).</summary>
        bool Execute(SqliteStatements statements);

        void Fail(Exception error);

        /// <summary>What <see cref="Execute"/> failed with, if it did.</summary>
        Exception? Error { get; }

        /// <summary>Completes the task with the result kept by <see cref="Execute"/> (a write: once its transaction committed).</summary>
        void Complete();
    }

    /// <summary>Queues <paramref name="operation"/>; the task completes after it ran (and, on the writer, after its commit).</summary>
    public Task<T> RunAsync<T>(Func<SqliteStatements, T> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var work = new Work<T>(operation, cancellationToken);
        _queue.Enqueue(work);
        _queued.Set();
        return work.Task;
    }

    /// <summary>Stops taking work, finishes what was queued and closes the connection.</summary>
    public void Dispose()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _queued.Set();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }

        // Work queued by a caller that raced with this: the thread has ended, so it is refused here. The event is left to
        // the finalizer, as such a caller may still signal it.
        while (_queue.TryDequeue(out var late))
        {
            late.Fail(new ObjectDisposedException(nameof(SqliteOAuthStorage)));
        }
    }

    private void Run()
    {
        SqliteStatements? statements = null;
        var batch = new List<IWork>(MaxBatch);
        try
        {
            while (Next(batch))
            {
                try
                {
                    statements ??= new SqliteStatements(_database, _database.Open(readOnly: !_writes, writer: _writes));
                }
                catch (Exception e)
                {
                    var error = _database.Translate(e);
                    batch.ForEach(w => w.Fail(error));
                    continue;
                }

                if (_writes)
                {
                    WriteBatch(statements, batch);
                }
                else
                {
                    ReadBatch(statements, batch);
                }

                if (statements.Broken)
                {
                    statements.Dispose();
                    statements = null;
                }
            }
        }
        finally
        {
            statements?.Dispose();
        }
    }

    /// <summary>Waits for work and takes what is queued, up to <see cref="MaxBatch"/>; false once disposed and drained.</summary>
    private bool Next(List<IWork> batch)
    {
        batch.Clear();
        var limit = MaxBatch;
        while (true)
        {
            while (batch.Count < limit && _queue.TryDequeue(out var work))
            {
                batch.Add(work);
            }

            if (batch.Count > 0)
            {
                return true;
            }

            if (_completed)
            {
                return false;
            }

            // Blocks this thread only: it exists to wait.
            _queued.WaitOne();
        }
    }

    /// <summary>
    /// Every operation of the storage writes with at most one statement, which SQLite applies whole or not at all, so one
    /// that fails leaves the transaction as it was and the batch goes on. Should SQLite have rolled the whole transaction
    /// back (a full disk, an I/O error), nothing of the batch was committed: every operation fails with that cause.
    /// </summary>
    private void WriteBatch(SqliteStatements statements, List<IWork> batch)
    {
        var executed = new List<IWork>(batch.Count);
        try
        {
            statements.Execute("BEGIN IMMEDIATE;");
            try
            {
                _beforeBatch?.Invoke(statements);
                foreach (var work in batch)
                {
                    if (work.Execute(statements))
                    {
                        executed.Add(work);
                    }
                    else if (!statements.InTransaction)
                    {
                        throw work.Error ?? new OperationCanceledException();
                    }
                }

                statements.Execute("COMMIT;");
            }
            catch
            {
                statements.TryRollback();
                throw;
            }
        }
        catch (Exception e)
        {
            var error = _database.Translate(e);
            foreach (var work in batch)
            {
                work.Fail(error);
            }

            // The connection's state after a failed commit or rollback is not worth guessing: the next batch opens another.
            statements.Broken = true;
            return;
        }

        foreach (var work in executed)
        {
            work.Complete();
        }

        try
        {
            _afterCommit?.Invoke(statements);
        }
        catch (Exception)
        {
            // Nothing waits on it; the connection's state is not worth guessing: the next batch opens another.
            statements.Broken = true;
        }
    }

    private static void ReadBatch(SqliteStatements statements, List<IWork> batch)
    {
        // Each read its own statement: a read transaction around several costs two statements more than it saves.
        foreach (var work in batch)
        {
            if (work.Execute(statements))
            {
                work.Complete();
            }
        }
    }

    private sealed class Work<T>(Func<SqliteStatements, T> operation, CancellationToken cancellationToken) : IWork
    {
        // Continuations never run on the worker's thread.
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _value;

        public Task<T> Task => _result.Task;

        public Exception? Error => _result.Task.Exception?.InnerException;

        public bool Execute(SqliteStatements statements)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _result.TrySetCanceled(cancellationToken);
                return false;
            }

            try
            {
                _value = operation(statements);
                return true;
            }
            catch (Exception e)
            {
                _result.TrySetException(statements.Database.Translate(e));
                return false;
            }
        }

        public void Fail(Exception error) => _result.TrySetException(error);

        public void Complete() => _result.TrySetResult(_value!);
    }
}
