using System.Collections.Concurrent;

namespace McpSseAuth.Stores;

/// <summary>
/// Consents and the grant list in memory. Grants are dropped once expired; both grow only with users who consented,
/// never with anonymous traffic; sign-outs only with an administrator's removals.
/// </summary>
internal sealed class InMemoryConsentStore(TimeProvider time) : IConsentStore, IGrantStore, IUserSignOuts
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, DateTimeOffset KeepUntil)> _signOuts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Subject, string ClientId), Consent> _consents = new();
    private readonly ConcurrentDictionary<string, GrantRecord> _grants = new(StringComparer.Ordinal);
    private long _nextPruneTicks;

    public ValueTask<Consent?> FindAsync(string subject, string clientId, CancellationToken cancellationToken)
        => ValueTask.FromResult(_consents.TryGetValue((subject, clientId), out var consent) ? consent : null);

    public ValueTask StoreAsync(Consent consent, CancellationToken cancellationToken)
    {
        _consents[(consent.Subject, consent.ClientId)] = consent;
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveAsync(string subject, string clientId, CancellationToken cancellationToken)
        => ValueTask.FromResult(_consents.TryRemove((subject, clientId), out _));

    public ValueTask<IReadOnlyList<Consent>> ListAsync(string subject, CancellationToken cancellationToken)
        => ValueTask.FromResult<IReadOnlyList<Consent>>([.. _consents.Values.Where(c => c.Subject == subject)]);

    public ValueTask StoreAsync(GrantRecord grant, CancellationToken cancellationToken)
    {
        Prune();
        _grants[grant.GrantId] = grant;
        return ValueTask.CompletedTask;
    }

    public ValueTask TouchAsync(string grantId, DateTimeOffset usedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (_grants.TryGetValue(grantId, out var grant))
        {
            _grants.TryUpdate(grantId, grant with { LastUsedAt = usedAt, ExpiresAt = expiresAt }, grant);
        }

        return ValueTask.CompletedTask;
    }

    ValueTask<IReadOnlyList<GrantRecord>> IGrantStore.ListAsync(string subject, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return ValueTask.FromResult<IReadOnlyList<GrantRecord>>([.. _grants.Values.Where(g => g.Subject == subject && g.ExpiresAt > now)]);
    }

    public ValueTask RemoveAsync(string grantId, CancellationToken cancellationToken)
    {
        _grants.TryRemove(grantId, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask SignOutEverywhereAsync(string subject, DateTimeOffset at, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        Prune();
        _signOuts.AddOrUpdate(subject, (at, keepUntil), (_, old) => (old.At > at ? old.At : at, old.KeepUntil > keepUntil ? old.KeepUntil : keepUntil));
        return ValueTask.CompletedTask;
    }

    public ValueTask<DateTimeOffset?> FindAsync(string subject, CancellationToken cancellationToken)
        => ValueTask.FromResult<DateTimeOffset?>(_signOuts.TryGetValue(subject, out var signOut) ? signOut.At : null);

    // At most once a minute: a sweep is linear in the number of grants.
    private void Prune()
    {
        var now = time.GetUtcNow();
        var next = Interlocked.Read(ref _nextPruneTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextPruneTicks, now.UtcTicks + TimeSpan.TicksPerMinute, next) != next)
        {
            return;
        }

        foreach (var (id, grant) in _grants)
        {
            if (grant.ExpiresAt <= now)
            {
                _grants.TryRemove(id, out _);
            }
        }

        foreach (var (subject, signOut) in _signOuts)
        {
            if (signOut.KeepUntil <= now)
            {
                _signOuts.TryRemove(new KeyValuePair<string, (DateTimeOffset, DateTimeOffset)>(subject, signOut));
            }
        }
    }
}
