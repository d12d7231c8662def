using System.Security.Cryptography;
using McpSseAuth.Stores;
using Microsoft.AspNetCore.DataProtection;

namespace McpSseAuth.UserTokens;

/// <summary>
/// Encrypts per-user secrets with ASP.NET Core Data Protection before they reach <see cref="IUserSecretStore"/>. The
/// protector's purpose includes the subject and the slot, so a value copied to another user or slot does not decrypt.
/// </summary>
internal sealed class UserSecrets(IUserSecretStore store, IDataProtectionProvider dataProtection)
{
    private readonly IDataProtector _protector = dataProtection.CreateProtector("McpSseAuth.UserSecrets.v1");

    public async ValueTask<string?> ReadAsync(string subject, string slot, CancellationToken cancellationToken)
    {
        if (await store.FindAsync(subject, slot, cancellationToken) is not { } stored)
        {
            return null;
        }

        try
        {
            return _protector.CreateProtector(subject, slot).Unprotect(stored);
        }
        catch (CryptographicException)
        {
            // The key ring lost the key (e.g. keys not persisted across a restart): the secret is gone, say so as "none".
            await store.RemoveAsync(subject, slot, cancellationToken);
            return null;
        }
    }

    public ValueTask WriteAsync(string subject, string slot, string value, CancellationToken cancellationToken)
        => store.SetAsync(subject, slot, _protector.CreateProtector(subject, slot).Protect(value), cancellationToken);

    public ValueTask<bool> RemoveAsync(string subject, string slot, CancellationToken cancellationToken)
        => store.RemoveAsync(subject, slot, cancellationToken);

    public ValueTask<IReadOnlyList<string>> ListAsync(string subject, CancellationToken cancellationToken)
        => store.ListAsync(subject, cancellationToken);
}
