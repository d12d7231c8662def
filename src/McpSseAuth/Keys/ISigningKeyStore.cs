namespace McpSseAuth.Keys;

/// <summary>
/// Where the signing key ring is kept between restarts and shared between instances: the private keys and their schedule.
/// The ring reads it at startup and at each change of its schedule, and saves it when it creates or drops a key.
/// </summary>
internal interface ISigningKeyStore
{
    /// <summary>Every key kept, in no particular order; empty when there is none yet.</summary>
    ValueTask<IReadOnlyList<StoredSigningKey>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the ring with <paramref name="keys"/>: keys not listed are deleted, so their private halves do not linger.
    /// A store shared by instances throws <see cref="SigningKeyStoreConflictException"/> when another instance saved
    /// since this one's last <see cref="LoadAsync"/>; the ring then reads again and applies its schedule to what it finds.
    /// </summary>
    ValueTask SaveAsync(IReadOnlyList<StoredSigningKey> keys, CancellationToken cancellationToken);
}
