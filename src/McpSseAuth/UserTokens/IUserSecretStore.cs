namespace McpSseAuth.UserTokens;

/// <summary>
/// Per-user secrets (upstream tokens, service tokens), stored already encrypted: the store never sees a token in clear.
/// Keyed by the user's subject and a slot name such as <c>upstream</c> or <c>service:github</c>.
/// </summary>
internal interface IUserSecretStore
{
    ValueTask<string?> FindAsync(string subject, string slot, CancellationToken cancellationToken);

    ValueTask SetAsync(string subject, string slot, string protectedValue, CancellationToken cancellationToken);

    ValueTask<bool> RemoveAsync(string subject, string slot, CancellationToken cancellationToken);

    /// <summary>The user's slot names.</summary>
    ValueTask<IReadOnlyList<string>> ListAsync(string subject, CancellationToken cancellationToken);
}
