namespace McpSseAuth.Grants;

/// <summary>Remembered consents, per user and client.</summary>
internal interface IConsentStore
{
    ValueTask<Consent?> FindAsync(string subject, string clientId, CancellationToken cancellationToken);

    ValueTask StoreAsync(Consent consent, CancellationToken cancellationToken);

    /// <summary>Stores a first consent of its user and client; false, storing nothing, when one exists.</summary>
    ValueTask<bool> TryAddAsync(Consent consent, CancellationToken cancellationToken);

    ValueTask<bool> RemoveAsync(string subject, string clientId, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Consent>> ListAsync(string subject, CancellationToken cancellationToken);
}
