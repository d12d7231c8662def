using McpSseAuth.Storage;

namespace McpSseAuth.Grants;

/// <summary>
/// Consents, the grant list of the connected-apps page and sign-outs in <see cref="IMcpOAuthStorage"/>, listed per user.
/// Grants go when they expire; sign-outs when they no longer matter. All grow only with users who consented or were
/// removed, never with anonymous traffic.
/// </summary>
internal sealed class ConsentStore([Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage, TimeProvider time) : IConsentStore, IGrantStore, IUserSignOuts
{
    // A consent is read on each authorization request of its client and twice per code redeemed: decoded once while unchanged.
    private readonly DecodedEntries<Consent> _decoded = new(GrantJson.Default);

    public async ValueTask<Consent?> FindAsync(string subject, string clientId, CancellationToken cancellationToken)
    {
        var key = ConsentKey(subject, clientId);
        return _decoded.Decode(key, await storage.GetAsync(key, cancellationToken));
    }

    public ValueTask StoreAsync(Consent consent, CancellationToken cancellationToken)
        => storage.SetAsync(ConsentKey(consent.Subject, consent.ClientId), StoredJson.Encode(GrantJson.Default, consent), DateTimeOffset.MaxValue, Consents(consent.Subject), cancellationToken);

    public ValueTask<bool> TryAddAsync(Consent consent, CancellationToken cancellationToken)
        => storage.TryAddAsync(ConsentKey(consent.Subject, consent.ClientId), StoredJson.Encode(GrantJson.Default, consent), DateTimeOffset.MaxValue, Consents(consent.Subject), cancellationToken);

    public ValueTask<bool> RemoveAsync(string subject, string clientId, CancellationToken cancellationToken)
        => storage.RemoveAsync(ConsentKey(subject, clientId), cancellationToken);

    public async ValueTask<IReadOnlyList<Consent>> ListAsync(string subject, CancellationToken cancellationToken)
        => [.. (await storage.ListAsync(Consents(subject), cancellationToken)).Select(e => StoredJson.Decode<Consent>(GrantJson.Default, e.Value.Value))];

    public ValueTask StoreAsync(GrantRecord grant, CancellationToken cancellationToken)
        => storage.SetAsync(GrantKey(grant.GrantId), StoredJson.Encode(GrantJson.Default, grant), grant.ExpiresAt, Grants(grant.Subject), cancellationToken);

    public async ValueTask TouchAsync(string grantId, DateTimeOffset usedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => await StoredJson.UpdateAsync<GrantRecord>(GrantJson.Default, storage, GrantKey(grantId), grant => (grant with { LastUsedAt = usedAt, ExpiresAt = expiresAt }, expiresAt), cancellationToken);

    public async ValueTask NoteUseAsync(string grantId, DateTimeOffset usedAt, CancellationToken cancellationToken)
        => await StoredJson.UpdateAsync<GrantRecord>(GrantJson.Default, storage, GrantKey(grantId), grant => grant.LastUsedAt >= usedAt ? null : (grant with { LastUsedAt = usedAt }, grant.ExpiresAt), cancellationToken);

    async ValueTask<IReadOnlyList<GrantRecord>> IGrantStore.ListAsync(string subject, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return [.. (await storage.ListAsync(Grants(subject), cancellationToken)).Select(e => StoredJson.Decode<GrantRecord>(GrantJson.Default, e.Value.Value)).Where(g => g.ExpiresAt > now)];
    }

    public async ValueTask RemoveAsync(string grantId, CancellationToken cancellationToken)
        => await storage.RemoveAsync(GrantKey(grantId), cancellationToken);

    public async ValueTask SignOutEverywhereAsync(string subject, DateTimeOffset at, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        var key = StoredJson.Key("signout", subject);
        // The latest sign-out wins, kept as long as the longest asked for; another instance may write at the same time.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await storage.TryAddAsync(key, StoredJson.Encode(GrantJson.Default, new StoredSignOut(at, keepUntil)), keepUntil, null, cancellationToken)
                || await StoredJson.UpdateAsync<StoredSignOut>(GrantJson.Default, storage, key, old => old.At >= at && old.KeepUntil >= keepUntil
                    ? null
                    : (new StoredSignOut(old.At > at ? old.At : at, old.KeepUntil > keepUntil ? old.KeepUntil : keepUntil), old.KeepUntil > keepUntil ? old.KeepUntil : keepUntil), cancellationToken))
            {
                return;
            }
        }

        throw new McpStorageUnavailableException("A sign-out kept changing under an update; try again.");
    }

    public async ValueTask<DateTimeOffset?> FindAsync(string subject, CancellationToken cancellationToken)
        => StoredJson.Decode<StoredSignOut>(GrantJson.Default, await storage.GetAsync(StoredJson.Key("signout", subject), cancellationToken))?.At;

    private static string ConsentKey(string subject, string clientId) => StoredJson.Key("consent", subject, clientId);

    private static string Consents(string subject) => StoredJson.Key("consents", subject);

    private static string GrantKey(string grantId) => StoredJson.Key("grant", grantId);

    private static string Grants(string subject) => StoredJson.Key("grants", subject);
}
