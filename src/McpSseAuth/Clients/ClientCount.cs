namespace McpSseAuth.Clients;

/// <summary>
/// The approximate count of registered clients that <see cref="ClientStore"/> checks its bound against: the storage's
/// count, read at most every <see cref="RefreshInterval"/> (a count can scan every client row), plus this instance's
/// registrations since and those that had not finished when it was read (a slow count must not forget the registrations
/// stored while it ran), less this instance's evictions since. It errs on the safe side — too high, one eviction too many —
/// rather than letting the store grow past the bound on one instance.
/// </summary>
internal sealed class ClientCount
{
    /// <summary>How long a count of the clients read from the storage is used, with this instance's registrations added.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private long _count;

    // Registrations of this instance started and finished (added or not): a count read from the storage may miss those
    // that were not finished when the read began, so they are added to it.
    private long _addsStarted;
    private long _addsFinished;

    // Which count a removal was counted against: one that began before the count was read again may be in that count
    // already, so it does not lower it a second time.
    private long _generation;
    private DateTimeOffset _countedUntil = DateTimeOffset.MinValue;

    public long Current => Interlocked.Read(ref _count);

    /// <summary>The count a removal starting now is counted against (see <see cref="Uncount"/>).</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>
    /// True when the count is due to be read from the storage at <paramref name="now"/>: this caller reads it and the others go
    /// on with the count they have.
    /// </summary>
    public bool TryClaimRead(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (now < _countedUntil)
            {
                return false;
            }

            _countedUntil = now + RefreshInterval;
            return true;
        }
    }

    /// <summary>Registrations finished so far: taken before a read of the storage starts, and given to <see cref="Set"/> with what it read.</summary>
    public long FinishedAdds => Interlocked.Read(ref _addsFinished);

    /// <summary>
    /// Starts the count again from the storage's <paramref name="count"/>, read after <paramref name="finishedBefore"/>
    /// registrations of this instance had finished. Those that had not may or may not be in it, so they are added.
    /// </summary>
    public void Set(long count, long finishedBefore, DateTimeOffset countedAt)
    {
        lock (_gate)
        {
            _count = count + Interlocked.Read(ref _addsStarted) - finishedBefore;
            _countedUntil = countedAt + RefreshInterval;
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>Counts a registration before anything of it is awaited, so registrations arriving together each see the others.</summary>
    /// <returns>The count with it.</returns>
    public long StartAdd()
    {
        Interlocked.Increment(ref _addsStarted);
        return Interlocked.Increment(ref _count);
    }

    public void FinishAdd(bool added)
    {
        if (!added)
        {
            // Counted in any count read since it started, as not finished: lowered again in every case.
            Interlocked.Decrement(ref _count);
        }

        Interlocked.Increment(ref _addsFinished);
    }

    /// <summary>Lowers the count for a client that went, unless the count was read again since <paramref name="generation"/>.</summary>
    /// <returns>The count now.</returns>
    public long Uncount(long generation)
    {
        lock (_gate)
        {
            return Interlocked.Read(ref _generation) == generation ? Interlocked.Decrement(ref _count) : Interlocked.Read(ref _count);
        }
    }
}
