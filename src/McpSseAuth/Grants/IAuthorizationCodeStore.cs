namespace McpSseAuth.Grants;

/// <summary>Authorization codes, redeemable exactly once even under concurrent redemption.</summary>
internal interface IAuthorizationCodeStore
{
    /// <summary>Stores a code; false when the store is full.</summary>
    ValueTask<bool> StoreAsync(string handle, AuthorizationCode code, CancellationToken cancellationToken);

    /// <summary>Reads a live code without spending it, so what its redemption issues can be stored before it is spent.</summary>
    ValueTask<AuthorizationCode?> FindAsync(string handle, CancellationToken cancellationToken);

    /// <summary>
    /// Spends the code, once; a second redemption revokes what the first issued (RFC 6749 §4.1.2). <paramref name="read"/>
    /// is the code as <see cref="FindAsync"/> returned it, when the caller has it: it spares reading the code again.
    /// </summary>
    ValueTask<CodeRedemption> TryRedeemAsync(string handle, AuthorizationCode? read, CancellationToken cancellationToken);
}
