using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Stores;

/// <summary>
/// Codes, refresh tokens, pending requests and grant revocations in private <see cref="MemoryCache"/>s, keyed by handle
/// hash. Each entry carries its own expiry, checked against <see cref="TimeProvider"/>, and a once-only flag. Flows in
/// progress (pending requests, codes) are bounded by <see cref="McpOAuthOptions.MaxPendingAuthorizations"/>: anyone can
/// start one. Refresh tokens belong to granted users and are never refused; a spent one leaves a small tombstone, for a
/// day at most.
/// </summary>
internal sealed class InMemoryGrantStore(TimeProvider time, IOptions<McpOAuthOptions> options, Sessions.GrantRevocationSignal? revocations = null)
    : IAuthorizationCodeStore, IRefreshTokenStore, IPendingAuthorizationStore, IGrantRevocations, IDisposable
{
    // A spent code or refresh token is remembered this long (at most) to recognise a replay.
    private static readonly TimeSpan ReplayMemory = TimeSpan.FromDays(1);

    private readonly MemoryCache _inFlight = new(new MemoryCacheOptions());
    private readonly MemoryCache _grants = new(new MemoryCacheOptions());

    private sealed class Entry<T>(T value, DateTimeOffset expiresAt, long takenAtTicks = 0)
    {
        // 0 while not taken; otherwise when it was taken. One field, so a loser of a race never sees "taken" without the time.
        private long _takenAtTicks = takenAtTicks;
        private string? _successor;

        public T Value { get; } = value;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public bool IsTaken => Interlocked.Read(ref _takenAtTicks) != 0;
        public long TakenAtTicks => Interlocked.Read(ref _takenAtTicks);
        public DateTimeOffset? TakenAt => TakenAtTicks is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;
        public bool TryTake(DateTimeOffset now) => Interlocked.CompareExchange(ref _takenAtTicks, Math.Max(1, now.UtcTicks), 0) == 0;

        /// <summary>What the redemption issued, sealed with the spent handle (refresh tokens only).</summary>
        public string? Successor
        {
            get => Volatile.Read(ref _successor);
            set => Volatile.Write(ref _successor, value);
        }
    }

    ValueTask<bool> IAuthorizationCodeStore.StoreAsync(string handle, AuthorizationCode code, CancellationToken cancellationToken)
        => ValueTask.FromResult(TryStore(_inFlight, CodeKey(handle), code, code.ExpiresAt, bounded: true));

    async ValueTask<(RedeemStatus Status, AuthorizationCode? Code)> IAuthorizationCodeStore.TryRedeemAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, code, _) = Redeem(_inFlight, CodeKey(handle), (AuthorizationCode c) => c with { Scopes = [], Resources = [] });
        if (status == RedeemStatus.Replayed && code is not null)
        {
            // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
            await RevokeAsync(code.GrantId, cancellationToken);
        }

        return (status, code);
    }

    ValueTask IRefreshTokenStore.StoreAsync(string handle, RefreshToken token, CancellationToken cancellationToken)
    {
        TryStore(_grants, RefreshKey(handle), token, token.ExpiresAt, bounded: false);
        return ValueTask.CompletedTask;
    }

    ValueTask<RefreshToken?> IRefreshTokenStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = _grants.Get<Entry<RefreshToken>>(RefreshKey(handle));
        return ValueTask.FromResult(entry is { IsTaken: false } && entry.ExpiresAt > time.GetUtcNow() && !IsRevoked(entry.Value.GrantId) ? entry.Value : null);
    }

    ValueTask<(RedeemStatus Status, RefreshToken? Token, DateTimeOffset? RedeemedAt)> IRefreshTokenStore.TryRedeemAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, token, redeemedAt) = Redeem(_grants, RefreshKey(handle), (RefreshToken t) => t with { Scopes = [], Resources = [] });
        return ValueTask.FromResult(token is not null && IsRevoked(token.GrantId) ? (RedeemStatus.NotFound, null, null) : (status, token, redeemedAt));
    }

    ValueTask IRefreshTokenStore.SetSuccessorAsync(string handle, string sealedSuccessor, CancellationToken cancellationToken)
    {
        if (_grants.Get<Entry<RefreshToken>>(RefreshKey(handle)) is { IsTaken: true } spent)
        {
            spent.Successor = sealedSuccessor;
        }

        return ValueTask.CompletedTask;
    }

    ValueTask<string?> IRefreshTokenStore.FindSuccessorAsync(string handle, CancellationToken cancellationToken)
        => ValueTask.FromResult(_grants.Get<Entry<RefreshToken>>(RefreshKey(handle)) is { IsTaken: true } spent ? spent.Successor : null);

    ValueTask IRefreshTokenStore.RevokeGrantAsync(string grantId, CancellationToken cancellationToken) => RevokeAsync(grantId, cancellationToken);

    public ValueTask<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken) => ValueTask.FromResult(IsRevoked(grantId));

    ValueTask<bool> IPendingAuthorizationStore.StoreAsync(string handle, PendingAuthorization request, CancellationToken cancellationToken)
        => ValueTask.FromResult(TryStore(_inFlight, PendingKey(handle), request, request.ExpiresAt, bounded: true));

    ValueTask<PendingAuthorization?> IPendingAuthorizationStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = _inFlight.Get<Entry<PendingAuthorization>>(PendingKey(handle));
        return ValueTask.FromResult(entry is null || entry.IsTaken || entry.ExpiresAt <= time.GetUtcNow() ? null : entry.Value);
    }

    ValueTask<PendingAuthorization?> IPendingAuthorizationStore.TryTakeAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, value, _) = Redeem<PendingAuthorization>(_inFlight, PendingKey(handle), slim: null);
        return ValueTask.FromResult(status == RedeemStatus.Redeemed ? value : null);
    }

    private ValueTask RevokeAsync(string grantId, CancellationToken cancellationToken)
    {
        // Remembered as long as anything of the grant can live; revocations are never refused for lack of room.
        var o = options.Value;
        _grants.Set("revoked:" + grantId, true, o.RefreshTokenLifetime + o.AccessTokenLifetime);
        // Its live MCP sessions end now, not when their access tokens expire.
        revocations?.Raise(grantId);
        return ValueTask.CompletedTask;
    }

    private bool IsRevoked(string grantId) => _grants.TryGetValue("revoked:" + grantId, out _);

    private bool TryStore<T>(MemoryCache cache, string key, T value, DateTimeOffset expiresAt, bool bounded)
    {
        if (bounded && cache.Count >= options.Value.MaxPendingAuthorizations)
        {
            return false;
        }

        cache.Set(key, new Entry<T>(value, expiresAt), Keep(expiresAt, TimeSpan.FromMinutes(10)));
        return true;
    }

    private (RedeemStatus, T?, DateTimeOffset?) Redeem<T>(MemoryCache cache, string key, Func<T, T>? slim) where T : class
    {
        if (cache.Get<Entry<T>>(key) is not { } entry)
        {
            return (RedeemStatus.NotFound, null, null);
        }

        var now = time.GetUtcNow();
        if (!entry.TryTake(now))
        {
            return (RedeemStatus.Replayed, entry.Value, entry.TakenAt);
        }

        if (slim is not null)
        {
            // Only what replay detection needs stays behind, and not longer than a day.
            var tombstoneUntil = entry.ExpiresAt < now + ReplayMemory ? entry.ExpiresAt : now + ReplayMemory;
            cache.Set(key, new Entry<T>(slim(entry.Value), entry.ExpiresAt, entry.TakenAtTicks), Keep(tombstoneUntil, TimeSpan.FromMinutes(10)));
        }
        else
        {
            cache.Remove(key);
        }

        return entry.ExpiresAt <= now ? (RedeemStatus.Expired, null, null) : (RedeemStatus.Redeemed, entry.Value, now);
    }

    // Kept a little past expiry so a late replay is still recognised as a replay, not as unknown.
    private MemoryCacheEntryOptions Keep(DateTimeOffset until, TimeSpan grace) => new()
    {
        AbsoluteExpirationRelativeToNow = TimeSpan.FromTicks(Math.Max(0, (until - time.GetUtcNow()).Ticks)) + grace,
    };

    private static string CodeKey(string handle) => "code:" + OpaqueHandle.Hash(handle);

    private static string RefreshKey(string handle) => "refresh:" + OpaqueHandle.Hash(handle);

    private static string PendingKey(string handle) => "pending:" + OpaqueHandle.Hash(handle);

    public void Dispose()
    {
        _inFlight.Dispose();
        _grants.Dispose();
    }
}
