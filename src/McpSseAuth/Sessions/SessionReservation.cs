namespace McpSseAuth.Sessions;

/// <summary>
/// A place taken under the caps before a request that may open a session runs: the session takes it over when it
/// starts (<see cref="McpSessionRegistry.Add"/>), or it is given back (<see cref="McpSessionRegistry.Release"/>). Either happens once.
/// </summary>
internal sealed class SessionReservation(string subject)
{
    private int _state;   // 0 held, 1 taken over by a session, 2 given back

    public string Subject { get; } = subject;

    /// <summary>Its seat under the per-user cap across instances (<see cref="SessionSeats"/>), when instances share one.</summary>
    public SessionSeat? Seat { get; set; }

    public bool TryTakeOver() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

    public bool TryGiveBack() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;
}
