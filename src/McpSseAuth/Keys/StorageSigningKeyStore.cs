using McpSseAuth.Storage;

namespace McpSseAuth.Keys;

/// <summary>
/// The signing key ring in <see cref="IMcpOAuthStorage"/>, shared by every instance: one entry with the schedule and the
/// private keys, changed only by compare-and-swap against what this instance last read, so two instances rotating at
/// once cannot overwrite each other's keys (the loser reads again and adopts the winner's ring).
/// </summary>
internal sealed class StorageSigningKeyStore(IMcpOAuthStorage storage) : ISigningKeyStore
{
    private const string Key = "signing-keys";
    private ReadOnlyMemory<byte>? _lastRead;

    public async ValueTask<IReadOnlyList<StoredSigningKey>> LoadAsync(CancellationToken cancellationToken)
    {
        var entry = await storage.GetAsync(Key, cancellationToken);
        _lastRead = entry?.Value;
        if (entry is null)
        {
            return [];
        }

        var ring = StoredJson.Decode<StoredKeyRing>(KeyJson.Default, entry.Value);
        if (ring.Keys is null || ring.Keys.Any(k => k is null || string.IsNullOrEmpty(k.Kid) || string.IsNullOrEmpty(k.Alg) || string.IsNullOrEmpty(k.Pem)))
        {
            throw new InvalidOperationException($"The signing key ring in the storage (entry '{Key}') is damaged. Restore it, or remove the entry to start a new key ring.");
        }

        return [.. ring.Keys.Select(k => new StoredSigningKey(k.Kid, k.Alg, k.Pem, k.Created, k.Activates, k.Retires))];
    }

    public async ValueTask SaveAsync(IReadOnlyList<StoredSigningKey> keys, CancellationToken cancellationToken)
    {
        var value = StoredJson.Encode(KeyJson.Default, new StoredKeyRing(1, [.. keys.Select(k => new StoredKeyRingEntry(k.KeyId, k.Algorithm, k.PrivateKeyPem, k.Created, k.Activates, k.Retires))]));
        var saved = _lastRead is { } expected
            ? await storage.TryReplaceAsync(Key, expected, value, DateTimeOffset.MaxValue, cancellationToken)
            : await storage.TryAddAsync(Key, value, DateTimeOffset.MaxValue, null, cancellationToken);
        if (!saved)
        {
            throw new SigningKeyStoreConflictException();
        }

        _lastRead = value;
    }
}
