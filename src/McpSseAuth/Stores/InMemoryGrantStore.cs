using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;

namespace McpSseAuth.Stores;

/// <summary>
/// Codes, refresh tokens and pending requests in a private <see cref="MemoryCache"/>, keyed by handle hash.
/// Each entry carries its own expiry, checked against <see cref="TimeProvider"/>, and a once-only flag.
/// </summary>
internal sealed class InMemoryGrantStore(TimeProvider time) : IAuthorizationCodeStore, IRefreshTokenStore, IPendingAuthorizationStore, IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedGrants = new(StringComparer.Ordinal);

    private sealed class Entry<T>(T value, DateTimeOffset expiresAt)
    {
        private int _taken;
        public T Value { get; } = value;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;
    }

    ValueTask IAuthorizationCodeStore.StoreAsync(string handle, AuthorizationCode code, CancellationToken cancellationToken)
        => Store("code:" + OpaqueHandle.Hash(handle), code, code.ExpiresAt);

    async ValueTask<(RedeemStatus Status, AuthorizationCode? Code)> IAuthorizationCodeStore.TryRedeemAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, code) = Redeem<AuthorizationCode>("code:" + OpaqueHandle.Hash(handle));
        if (status == RedeemStatus.Replayed && code is not null)
        {
            // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
            await ((IRefreshTokenStore)this).RevokeGrantAsync(code.GrantId, cancellationToken);
        }

        return (status, code);
    }

    ValueTask IRefreshTokenStore.StoreAsync(string handle, RefreshToken token, CancellationToken cancellationToken)
        => Store("refresh:" + OpaqueHandle.Hash(handle), token, token.ExpiresAt);

    async ValueTask<(RedeemStatus Status, RefreshToken? Token)> IRefreshTokenStore.TryRedeemAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, token) = Redeem<RefreshToken>("refresh:" + OpaqueHandle.Hash(handle));
        if (token is not null && _revokedGrants.ContainsKey(token.GrantId))
        {
            return (RedeemStatus.NotFound, null);
        }

        if (status == RedeemStatus.Replayed && token is not null)
        {
            // OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: a rotated token presented again means theft; end the grant.
            await ((IRefreshTokenStore)this).RevokeGrantAsync(token.GrantId, cancellationToken);
        }

        return (status, token);
    }

    ValueTask IRefreshTokenStore.RevokeGrantAsync(string grantId, CancellationToken cancellationToken)
    {
        _revokedGrants[grantId] = time.GetUtcNow();
        return ValueTask.CompletedTask;
    }

    ValueTask<bool> IRefreshTokenStore.IsGrantRevokedAsync(string grantId, CancellationToken cancellationToken)
        => ValueTask.FromResult(_revokedGrants.ContainsKey(grantId));

    ValueTask IPendingAuthorizationStore.StoreAsync(string handle, PendingAuthorization request, CancellationToken cancellationToken)
        => Store("pending:" + OpaqueHandle.Hash(handle), request, request.ExpiresAt);

    ValueTask<PendingAuthorization?> IPendingAuthorizationStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = _cache.Get<Entry<PendingAuthorization>>("pending:" + OpaqueHandle.Hash(handle));
        return ValueTask.FromResult(entry is null || entry.ExpiresAt <= time.GetUtcNow() ? null : entry.Value);
    }

    ValueTask<PendingAuthorization?> IPendingAuthorizationStore.TryTakeAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, value) = Redeem<PendingAuthorization>("pending:" + OpaqueHandle.Hash(handle));
        return ValueTask.FromResult(status == RedeemStatus.Redeemed ? value : null);
    }

    private ValueTask Store<T>(string key, T value, DateTimeOffset expiresAt)
    {
        // Kept a little past expiry so a late replay is still recognised as a replay, not as unknown.
        _cache.Set(key, new Entry<T>(value, expiresAt), new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromTicks(Math.Max(0, (expiresAt - time.GetUtcNow()).Ticks)) + TimeSpan.FromMinutes(10),
        });
        return ValueTask.CompletedTask;
    }

    private (RedeemStatus, T?) Redeem<T>(string key) where T : class
    {
        if (_cache.Get<Entry<T>>(key) is not { } entry)
        {
            return (RedeemStatus.NotFound, null);
        }

        if (!entry.TryTake())
        {
            return (RedeemStatus.Replayed, entry.Value);
        }

        return entry.ExpiresAt <= time.GetUtcNow() ? (RedeemStatus.Expired, null) : (RedeemStatus.Redeemed, entry.Value);
    }

    public void Dispose() => _cache.Dispose();
}
