using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.UserTokens;

/// <summary>
/// Encrypts per-user secrets with ASP.NET Core Data Protection before they reach <see cref="IUserSecretStore"/>. The
/// protector's purpose includes the subject and the slot, so a value copied to another user or slot does not decrypt.
/// </summary>
internal sealed class UserSecrets(IUserSecretStore store, IDataProtectionProvider dataProtection, ILogger<UserSecrets> logger)
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
            // This instance lacks the key (keys not persisted, or not shared across instances): read as "none", but keep the
            // value, since another instance, or this one once its key ring is fixed, can still read it.
            Log.UserSecretUnreadable(logger, subject, slot);
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
