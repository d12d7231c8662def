namespace McpSseAuth.Grants;

/// <summary>Authorization requests waiting for the user's consent.</summary>
internal interface IPendingAuthorizationStore
{
    /// <summary>Stores a request; false when the store is full.</summary>
    ValueTask<bool> StoreAsync(string handle, PendingAuthorization request, CancellationToken cancellationToken);

    /// <summary>Reads without consuming, to render the page again.</summary>
    ValueTask<PendingAuthorization?> FindAsync(string handle, CancellationToken cancellationToken);

    /// <summary>Consumes the request so one decision is taken once.</summary>
    ValueTask<PendingAuthorization?> TryTakeAsync(string handle, CancellationToken cancellationToken);
}
