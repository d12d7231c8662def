using System.Security.Claims;

namespace McpSseAuth.Sessions;

/// <summary>
/// A live session as the registry holds it: who opened it, the source that ends its run, when it was last used, and its
/// requests in flight.
/// </summary>
internal sealed class SessionEntry(McpSessionInfo info, CancellationTokenSource end)
{
    // Legacy SSE: ids of requests received and not answered yet (a table only while some are: an idle session holds
    // none, which matters at thousands of open streams). Streamable HTTP: requests being handled.
    private readonly Lock _gate = new();
    private HashSet<string>? _awaitingAnswer;
    private int _awaitingCount;
    private int _handling;
    private long _lastActivityTicks = info.CreatedAt.UtcTicks;

    /// <summary>When a request last named this session.</summary>
    public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivityTicks), TimeSpan.Zero);

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastActivityTicks, now.UtcTicks);

    public McpSessionInfo Info { get; } = info;
    public CancellationTokenSource End { get; } = end;

    /// <summary>Why McpSseAuth ended it, when it did (null: the client closed it).</summary>
    public McpSessionEndReason? EndReason { get; set; }

    /// <summary>Its seat under the caps across instances, taken over from the request that opened it (<see cref="SessionSeats"/>).</summary>
    public SessionSeat? Seat { get; init; }

    private readonly TaskCompletionSource _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the session has ended and given its seat back.</summary>
    public Task Gone => _gone.Task;

    public void MarkGone() => _gone.TrySetResult();

    /// <summary>Who opened it: the user a message relayed from another instance is handled as (<see cref="SseRelay"/>).</summary>
    public ClaimsPrincipal User { get; init; } = new();

    /// <summary>Requests not answered yet: awaiting their answer on the SSE stream, or being handled (Streamable HTTP).</summary>
    public int InFlight => Volatile.Read(ref _awaitingCount) + Volatile.Read(ref _handling);

    /// <summary>
    /// Notes a legacy SSE request by its JSON-RPC id until its answer goes out: <see cref="AwaitResult.Full"/> when
    /// <paramref name="limit"/> are already waiting, <see cref="AwaitResult.Duplicate"/> when this id is still waiting (a
    /// retry of a request whose relay timed out, or a client's: run once, answered once on the stream).
    /// </summary>
    public AwaitResult TryAwaitAnswer(string requestId, int limit)
    {
        lock (_gate)
        {
            _awaitingAnswer ??= new HashSet<string>(StringComparer.Ordinal);
            if (_awaitingAnswer.Contains(requestId))
            {
                return AwaitResult.Duplicate;
            }

            if (_awaitingAnswer.Count >= limit)
            {
                return AwaitResult.Full;
            }

            _awaitingAnswer.Add(requestId);
            Volatile.Write(ref _awaitingCount, _awaitingAnswer.Count);
            return AwaitResult.Accepted;
        }
    }

    /// <summary>The request was answered, cancelled or refused: its slot is free.</summary>
    public void Answered(string requestId)
    {
        if (Volatile.Read(ref _awaitingCount) == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_awaitingAnswer?.Remove(requestId) == true)
            {
                Volatile.Write(ref _awaitingCount, _awaitingAnswer.Count);
                if (_awaitingAnswer.Count == 0)
                {
                    _awaitingAnswer = null;   // an idle session holds no table
                }
            }
        }
    }

    /// <summary>A Streamable HTTP request is being handled: call <see cref="Handled"/> once when it is done (in a finally).</summary>
    public void Handling() => Interlocked.Increment(ref _handling);

    public void Handled() => Interlocked.Decrement(ref _handling);
}
