using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Stores;

/// <summary>
/// Codes, refresh tokens, pending requests and grant revocations in a private <see cref="MemoryCache"/>, keyed by handle
/// hash. Each entry carries its own expiry, checked against <see cref="TimeProvider"/>, and a once-only flag. Bounded:
/// when <see cref="McpOAuthOptions.MaxGrantStoreEntries"/> is reached, new grants (pending requests, codes) are refused
/// rather than memory grown; a spent token leaves only a small tombstone, for a day at most.
/// </summary>
internal sealed class InMemoryGrantStore(TimeProvider time, IOptions<McpOAuthOptions> options)
    : IAuthorizationCodeStore, IRefreshTokenStore, IPendingAuthorizationStore, IGrantRevocations, IDisposable
{
    // A spent code or refresh token is remembered this long (at most) to recognise a replay.
    private static readonly TimeSpan ReplayMemory = TimeSpan.FromDays(1);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions());

    private sealed class Entry<T>(T value, DateTimeOffset expiresAt, bool taken = false)
    {
        private int _taken = taken ? 1 : 0;
        public T Value { get; } = value;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public bool IsTaken => Volatile.Read(ref _taken) == 1;
        public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;
    }

    ValueTask<bool> IAuthorizationCodeStore.StoreAsync(string handle, AuthorizationCode code, CancellationToken cancellationToken)
        => Store(CodeKey(handle), code, code.ExpiresAt);

    async ValueTask<(RedeemStatus Status, AuthorizationCode? Code)> IAuthorizationCodeStore.TryRedeemAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, code) = Redeem(CodeKey(handle), (AuthorizationCode c) => c with { Scopes = [], Resources = [] });
        if (status == RedeemStatus.Replayed && code is not null)
        {
            // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
            await RevokeAsync(code.GrantId, cancellationToken);
        }

        return (status, code);
    }

    // Never refused: a refresh token replaces one just spent (or is the first of a grant whose code got room), and a
    // refused rotation would leave the client holding a spent token whose retry revokes the grant.
    ValueTask<bool> IRefreshTokenStore.StoreAsync(string handle, RefreshToken token, CancellationToken cancellationToken)
        => Store(RefreshKey(handle), token, token.ExpiresAt, bounded: false);

    ValueTask<RefreshToken?> IRefreshTokenStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = _cache.Get<Entry<RefreshToken>>(RefreshKey(handle));
        return ValueTask.FromResult(entry is { IsTaken: false } && entry.ExpiresAt > time.GetUtcNow() && !IsRevoked(entry.Value.GrantId) ? entry.Value : null);
    }

    async ValueTask<(RedeemStatus Status, RefreshToken? Token)> IRefreshTokenStore.TryRedeemAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, token) = Redeem(RefreshKey(handle), (RefreshToken t) => t with { Scopes = [], Resources = [] });
        if (token is not null && IsRevoked(token.GrantId))
        {
            return (RedeemStatus.NotFound, null);
        }

        if (status == RedeemStatus.Replayed && token is not null)
        {
            // OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: a rotated token presented again means theft; end the grant.
            await RevokeAsync(token.GrantId, cancellationToken);
        }

        return (status, token);
    }

    ValueTask IRefreshTokenStore.RevokeGrantAsync(string grantId, CancellationToken cancellationToken) => RevokeAsync(grantId, cancellationToken);

    public ValueTask<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken) => ValueTask.FromResult(IsRevoked(grantId));

    ValueTask<bool> IPendingAuthorizationStore.StoreAsync(string handle, PendingAuthorization request, CancellationToken cancellationToken)
        => Store(PendingKey(handle), request, request.ExpiresAt);

    ValueTask<PendingAuthorization?> IPendingAuthorizationStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = _cache.Get<Entry<PendingAuthorization>>(PendingKey(handle));
        return ValueTask.FromResult(entry is null || entry.IsTaken || entry.ExpiresAt <= time.GetUtcNow() ? null : entry.Value);
    }

    ValueTask<PendingAuthorization?> IPendingAuthorizationStore.TryTakeAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, value) = Redeem<PendingAuthorization>(PendingKey(handle), slim: null);
        return ValueTask.FromResult(status == RedeemStatus.Redeemed ? value : null);
    }

    private ValueTask RevokeAsync(string grantId, CancellationToken cancellationToken)
    {
        // Remembered as long as anything of the grant can live; revocations are never refused for lack of room.
        var o = options.Value;
        _cache.Set("revoked:" + grantId, true, o.RefreshTokenLifetime + o.AccessTokenLifetime);
        return ValueTask.CompletedTask;
    }

    private bool IsRevoked(string grantId) => _cache.TryGetValue("revoked:" + grantId, out _);

    private ValueTask<bool> Store<T>(string key, T value, DateTimeOffset expiresAt, bool bounded = true)
    {
        if (bounded && _cache.Count >= options.Value.MaxGrantStoreEntries)
        {
            return ValueTask.FromResult(false);
        }

        _cache.Set(key, new Entry<T>(value, expiresAt), Keep(expiresAt, TimeSpan.FromMinutes(10)));
        return ValueTask.FromResult(true);
    }

    private (RedeemStatus, T?) Redeem<T>(string key, Func<T, T>? slim) where T : class
    {
        if (_cache.Get<Entry<T>>(key) is not { } entry)
        {
            return (RedeemStatus.NotFound, null);
        }

        if (!entry.TryTake())
        {
            return (RedeemStatus.Replayed, entry.Value);
        }

        if (slim is not null)
        {
            // Only what replay detection needs stays behind, and not longer than a day.
            var tombstoneUntil = entry.ExpiresAt < time.GetUtcNow() + ReplayMemory ? entry.ExpiresAt : time.GetUtcNow() + ReplayMemory;
            _cache.Set(key, new Entry<T>(slim(entry.Value), entry.ExpiresAt, taken: true), Keep(tombstoneUntil, TimeSpan.FromMinutes(10)));
        }
        else
        {
            _cache.Remove(key);
        }

        return entry.ExpiresAt <= time.GetUtcNow() ? (RedeemStatus.Expired, null) : (RedeemStatus.Redeemed, entry.Value);
    }

    // Kept a little past expiry so a late replay is still recognised as a replay, not as unknown.
    private MemoryCacheEntryOptions Keep(DateTimeOffset until, TimeSpan grace) => new()
    {
        AbsoluteExpirationRelativeToNow = TimeSpan.FromTicks(Math.Max(0, (until - time.GetUtcNow()).Ticks)) + grace,
    };

    private static string CodeKey(string handle) => "code:" + OpaqueHandle.Hash(handle);

    private static string RefreshKey(string handle) => "refresh:" + OpaqueHandle.Hash(handle);

    private static string PendingKey(string handle) => "pending:" + OpaqueHandle.Hash(handle);

    public void Dispose() => _cache.Dispose();
}
