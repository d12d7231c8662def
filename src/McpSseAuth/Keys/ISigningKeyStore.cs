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

/// <summary>
/// One key of the ring: its private half as PKCS#8 PEM and its schedule. It signs from <see cref="Activates"/> until
/// <see cref="Retires"/>, and verifies from its creation until every token it signed has expired.
/// </summary>
internal sealed class StoredSigningKey(string keyId, string algorithm, string privateKeyPem, DateTimeOffset created, DateTimeOffset activates, DateTimeOffset retires)
{
    /// <summary>A key found without a schedule (the single <c>signing-key.pem</c> of earlier versions): the ring adopts it.</summary>
    public static StoredSigningKey Unscheduled(string privateKeyPem, DateTimeOffset created)
        => new(string.Empty, string.Empty, privateKeyPem, created, created, created);

    /// <summary>The <c>kid</c>: the key's RFC 7638 thumbprint.</summary>
    public string KeyId { get; } = keyId;

    /// <summary><c>ES256</c> or <c>RS256</c>.</summary>
    public string Algorithm { get; } = algorithm;

    public string PrivateKeyPem { get; } = privateKeyPem;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Activates { get; } = activates;

    public DateTimeOffset Retires { get; } = retires;

    public bool IsScheduled => Retires > Activates;

    /// <summary>Never the private key: this may end up in a log or a test failure message.</summary>
    public override string ToString() => $"{KeyId} ({Algorithm}, signs {Activates:O} to {Retires:O})";
}

/// <summary>Another instance changed the shared key ring since it was read: read it again.</summary>
internal sealed class SigningKeyStoreConflictException() : Exception("Another instance changed the signing key ring since it was read.");
