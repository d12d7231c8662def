namespace McpSseAuth.Keys;

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
