using McpSseAuth.Storage;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Grants;

/// <summary>
/// Codes, refresh tokens, pending requests and grant revocations in <see cref="IMcpOAuthStorage"/>, keyed by handle hash
/// (a stolen copy of the storage holds no usable handle). Codes and refresh tokens are taken atomically, so each is
/// redeemed once even when instances race; a spent one leaves a small remainder, for a day at most, to recognise a replay.
/// Flows in progress (pending requests, codes) are bounded per instance by
/// <see cref="McpOAuthTokenOptions.MaxPendingAuthorizations"/>: anyone can start one; each admitted one counts until it expires
/// on McpSseAuth's clock. Refresh tokens belong to granted users and are never refused.
/// </summary>
internal sealed class GrantStore([Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage, TimeProvider time, IOptions<McpOAuthOptions> options, Grants.GrantRevocationSignal? revocations = null)
    : IAuthorizationCodeStore, IRefreshTokenStore, IPendingAuthorizationStore, IGrantRevocations
{
    // A spent code or refresh token is remembered this long (at most) to recognise a replay.
    private static readonly TimeSpan ReplayMemory = TimeSpan.FromDays(1);

    // The answer of a rotation is kept past the reuse window by this much (and at least this long with the window off).
    private static readonly TimeSpan SuccessorMemory = TimeSpan.FromMinutes(1);

    // Kept a little past expiry so a late replay is still recognised as a replay, not as unknown.
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);

    private static readonly byte[] Revoked = [1];

    // What this instance admitted of the flows in progress, by expiry, soonest first: the bound. At most
    // Tokens.MaxPendingAuthorizations entries; each admission drops the expired ones (O(log n) each).
    private readonly PriorityQueue<DateTimeOffset, DateTimeOffset> _admitted = new();

    async ValueTask<bool> IAuthorizationCodeStore.StoreAsync(string handle, AuthorizationCode code, CancellationToken cancellationToken)
        => Admit(code.ExpiresAt) && await storage.TryAddAsync(CodeKey(handle), StoredJson.Encode(GrantJson.Default, code), code.ExpiresAt + Grace, null, cancellationToken);

    async ValueTask<AuthorizationCode?> IAuthorizationCodeStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = await storage.GetAsync(CodeKey(handle), cancellationToken);
        return entry is { TakenAt: null } && StoredJson.Decode<AuthorizationCode>(GrantJson.Default, entry.Value) is { } code && code.ExpiresAt > time.GetUtcNow() ? code : null;
    }

    async ValueTask<CodeRedemption> IAuthorizationCodeStore.TryRedeemAsync(string handle, AuthorizationCode? read, CancellationToken cancellationToken)
    {
        var (status, code, _) = await RedeemAsync(CodeKey(handle), (AuthorizationCode c) => c with { Scopes = [], Resources = [] }, c => c.ExpiresAt, read, cancellationToken);
        if (status == RedeemStatus.Replayed && code is not null)
        {
            // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
            await RevokeAsync(code.GrantId, cancellationToken);
        }

        return new CodeRedemption(status, code);
    }

    async ValueTask IRefreshTokenStore.StoreAsync(string handle, RefreshToken token, CancellationToken cancellationToken)
        => await storage.SetAsync(RefreshKey(handle), StoredJson.Encode(GrantJson.Default, token), token.ExpiresAt + Grace, null, cancellationToken);

    async ValueTask<RefreshToken?> IRefreshTokenStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = await storage.GetAsync(RefreshKey(handle), cancellationToken);
        if (entry is not { TakenAt: null } || StoredJson.Decode<RefreshToken>(GrantJson.Default, entry.Value) is not { } token || token.ExpiresAt <= time.GetUtcNow())
        {
            return null;
        }

        return await IsRevokedAsync(token.GrantId, cancellationToken) ? null : token;
    }

    async ValueTask<RefreshRedemption> IRefreshTokenStore.TryRedeemAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, token, redeemedAt) = await RedeemAsync<RefreshToken>(RefreshKey(handle), Slim, t => t.ExpiresAt, null, cancellationToken);
        return token is not null && await IsRevokedAsync(token.GrantId, cancellationToken) ? RefreshRedemption.NotFound : new RefreshRedemption(status, token, redeemedAt);
    }

    async ValueTask<RefreshInspection> IRefreshTokenStore.InspectAsync(string handle, CancellationToken cancellationToken)
    {
        // A handle that names its grant (issued so) has the grant's revocation read alongside the token: one round, not two.
        var named = OpaqueHandle.GrantOf(handle);
        var (entry, namedRevoked) = named is null
            ? (await storage.GetAsync(RefreshKey(handle), cancellationToken), false)
            : await Together.AwaitAsync(storage.GetAsync(RefreshKey(handle), cancellationToken), IsRevokedAsync(named, cancellationToken));
        if (entry is null || StoredJson.Decode<RefreshToken>(GrantJson.Default, entry.Value) is not { } token
            || (string.Equals(token.GrantId, named, StringComparison.Ordinal) ? namedRevoked : await IsRevokedAsync(token.GrantId, cancellationToken)))
        {
            return RefreshInspection.Unknown;
        }

        if (entry.TakenAt is { } spentAt)
        {
            return new RefreshInspection(RefreshState.Spent, token, spentAt);
        }

        return token.ExpiresAt <= time.GetUtcNow() ? RefreshInspection.Unknown : new RefreshInspection(RefreshState.Live, token, null);
    }

    async ValueTask<RotateOutcome> IRefreshTokenStore.RotateAsync(string handle, RefreshToken current, string successorHandle, RefreshToken successor, string sealedResponse, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var successorKey = RefreshKey(successorHandle);
        var successorBytes = StoredJson.Encode(GrantJson.Default, successor);

        // 1. The successor, and the claim of its answer as the one answer of this rotation, both before the token is spent:
        // from then on the client can never be left with neither token. Written at once (one commit where the storage
        // groups writes); the spend waits for both.
        var window = options.Value.Tokens.RefreshTokenReuseWindow;
        var keepAnswerUntil = now + (window > SuccessorMemory ? window : SuccessorMemory) + SuccessorMemory;
        var claimed = await Together.AwaitAsync(
            storage.SetAsync(successorKey, successorBytes, successor.ExpiresAt + Grace, null, cancellationToken),
            storage.TryAddAsync(SuccessorKey(handle), StoredJson.Encode(GrantJson.Default, new RotationAnswer(sealedResponse, successorKey)), keepAnswerUntil, null, cancellationToken));

        var answer = sealedResponse;
        if (!claimed)
        {
            // 2. A twin, or an earlier try interrupted after its claim, answered first: theirs is the answer and ours is
            // withdrawn, so the family never forks. Their successor is made sure of (an earlier try may have been cut off
            // before its successor was written, where a storage does not apply writes in the order they were made).
            await storage.RemoveAsync(successorKey, cancellationToken);
            if (AnswerOf(await storage.GetAsync(SuccessorKey(handle), cancellationToken)) is not { } theirs)
            {
                return new RotateOutcome(RedeemStatus.NotFound);
            }

            if (theirs.SuccessorKey is { } theirKey && await storage.GetAsync(theirKey, cancellationToken) is null)
            {
                await storage.TryAddAsync(theirKey, successorBytes, successor.ExpiresAt + Grace, null, cancellationToken);
            }

            answer = theirs.Sealed;
        }

        // 3. Spent last. Its remainder recognises a replay for a day at most.
        var until = (current.ExpiresAt < now + ReplayMemory ? current.ExpiresAt : now + ReplayMemory) + Grace;
        var taken = await storage.TryTakeAsync(RefreshKey(handle), StoredJson.Encode(GrantJson.Default, Slim(current)), until, now, cancellationToken);
        return taken.Status switch
        {
            McpTakeStatus.Taken => new RotateOutcome(RedeemStatus.Redeemed, answer),
            McpTakeStatus.AlreadyTaken when StoredJson.Decode<RefreshToken>(GrantJson.Default, taken.Entry!.Value) is { } spent => new RotateOutcome(RedeemStatus.Replayed, Spent: spent, SpentAt: taken.Entry.TakenAt),
            _ => new RotateOutcome(RedeemStatus.NotFound),
        };
    }

    async ValueTask<string?> IRefreshTokenStore.FindSuccessorAsync(string handle, CancellationToken cancellationToken)
        => AnswerOf(await storage.GetAsync(SuccessorKey(handle), cancellationToken))?.Sealed;

    /// <summary>A kept rotation answer; one kept by an earlier version is the sealed response alone (a JSON string).</summary>
    private static RotationAnswer? AnswerOf(McpStoredEntry? entry)
        => entry is null ? null
            : entry.Value.Span is [(byte)'"', ..] ? StoredJson.Decode<string>(GrantJson.Default, entry.Value) is { } old ? new RotationAnswer(old, null) : null
            : StoredJson.Decode<RotationAnswer>(GrantJson.Default, entry.Value);

    async ValueTask<bool> IRefreshTokenStore.IsSpentAsync(string handle, CancellationToken cancellationToken)
        => await storage.GetAsync(RefreshKey(handle), cancellationToken) is { TakenAt: not null };

    ValueTask IRefreshTokenStore.RevokeGrantAsync(string grantId, CancellationToken cancellationToken) => RevokeAsync(grantId, cancellationToken);

    public async ValueTask<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken)
        => await storage.GetAsync(RevokedKey(grantId), cancellationToken) is not null;

    async ValueTask<bool> IPendingAuthorizationStore.StoreAsync(string handle, PendingAuthorization request, CancellationToken cancellationToken)
        => Admit(request.ExpiresAt) && await storage.TryAddAsync(PendingKey(handle), StoredJson.Encode(GrantJson.Default, request), request.ExpiresAt + Grace, null, cancellationToken);

    async ValueTask<PendingAuthorization?> IPendingAuthorizationStore.FindAsync(string handle, CancellationToken cancellationToken)
    {
        var entry = await storage.GetAsync(PendingKey(handle), cancellationToken);
        return entry is { TakenAt: null } && StoredJson.Decode<PendingAuthorization>(GrantJson.Default, entry.Value) is { } request && request.ExpiresAt > time.GetUtcNow() ? request : null;
    }

    async ValueTask<PendingAuthorization?> IPendingAuthorizationStore.TryTakeAsync(string handle, CancellationToken cancellationToken)
    {
        var (status, request, _) = await RedeemAsync<PendingAuthorization>(PendingKey(handle), slim: null, r => r.ExpiresAt, null, cancellationToken);
        return status == RedeemStatus.Redeemed ? request : null;
    }

    private async ValueTask RevokeAsync(string grantId, CancellationToken cancellationToken)
    {
        // Remembered as long as anything of the grant can live; recorded before it is signalled (SessionTracking relies on it).
        var o = options.Value;
        await storage.SetAsync(RevokedKey(grantId), Revoked, time.GetUtcNow() + o.Tokens.RefreshTokenLifetime + o.Tokens.AccessTokenLifetime, null, cancellationToken);
        // Its live MCP sessions end now, on every instance, not when their access tokens expire.
        if (revocations is not null)
        {
            await revocations.RaiseAsync(grantId, cancellationToken);
        }
    }

    private bool Admit(DateTimeOffset expiresAt)
    {
        var now = time.GetUtcNow();
        lock (_admitted)
        {
            while (_admitted.TryPeek(out _, out var soonest) && soonest <= now)
            {
                _admitted.Dequeue();
            }

            if (_admitted.Count >= options.Value.Tokens.MaxPendingAuthorizations)
            {
                return false;
            }

            _admitted.Enqueue(expiresAt, expiresAt);
            return true;
        }
    }

    /// <summary>
    /// Takes the entry at <paramref name="key"/>, leaving the slim value (none without <paramref name="slim"/>).
    /// <paramref name="read"/>: the live value the caller read and decoded a moment ago (such entries are written once, never
    /// changed), so it is not read again to make the remainder. Without a remainder to make, nothing is read first.
    /// </summary>
    private async ValueTask<(RedeemStatus, T?, DateTimeOffset?)> RedeemAsync<T>(string key, Func<T, T>? slim, Func<T, DateTimeOffset> expiresAt, T? read, CancellationToken cancellationToken)
        where T : class
    {
        var now = time.GetUtcNow();
        var until = now;
        var remainder = ReadOnlyMemory<byte>.Empty;
        McpStoredEntry? peek = null;
        if (slim is not null)
        {
            // The remainder is the slim value, kept until the value's own expiry (at most a day).
            peek = read is null ? await storage.GetAsync(key, cancellationToken) : null;
            if (peek is null && read is null)
            {
                return (RedeemStatus.NotFound, null, null);
            }

            var current = read ?? StoredJson.Decode<T>(GrantJson.Default, peek!.Value);
            until = (expiresAt(current) < now + ReplayMemory ? expiresAt(current) : now + ReplayMemory) + Grace;
            remainder = StoredJson.Encode(GrantJson.Default, read is not null || peek!.TakenAt is null ? slim(current) : current);
            read = current;
        }

        var result = await storage.TryTakeAsync(key, remainder, until, now, cancellationToken);
        switch (result.Status)
        {
            case McpTakeStatus.NotFound:
                return (RedeemStatus.NotFound, null, null);
            case McpTakeStatus.AlreadyTaken:
                return slim is null || result.Entry!.Value.IsEmpty
                    ? (RedeemStatus.Replayed, null, result.Entry!.TakenAt)
                    : (RedeemStatus.Replayed, StoredJson.Decode<T>(GrantJson.Default, result.Entry.Value), result.Entry.TakenAt);
            default:
                // Usually the bytes just read and decoded: decoded again only when another writer changed them in between,
                // or when nothing was read first.
                var taken = peek is not null && result.Entry!.Value.Span.SequenceEqual(peek.Value.Span) ? read! : StoredJson.Decode<T>(GrantJson.Default, result.Entry!.Value);
                return expiresAt(taken) <= now ? (RedeemStatus.Expired, null, null) : (RedeemStatus.Redeemed, taken, now);
        }
    }

    // What a spent refresh token leaves behind: enough to recognise a replay and name its grant, client and user.
    private static RefreshToken Slim(RefreshToken token) => token with { Scopes = [], Resources = [] };

    private static string CodeKey(string handle) => StoredJson.Key("code", OpaqueHandle.Hash(handle));

    private static string RefreshKey(string handle) => StoredJson.Key("refresh", OpaqueHandle.Hash(handle));

    private static string SuccessorKey(string handle) => StoredJson.Key("successor", OpaqueHandle.Hash(handle));

    private static string PendingKey(string handle) => StoredJson.Key("pending", OpaqueHandle.Hash(handle));

    private static string RevokedKey(string grantId) => StoredJson.Key("revoked", grantId);
}
