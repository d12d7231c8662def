using System.Collections.Concurrent;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace McpSseAuth;

/// <summary>
/// Password hashing for local users with ASP.NET Core's <see cref="PasswordHasher{TUser}"/>: PBKDF2-HMAC-SHA512, a
/// 128-bit random salt, a 256-bit subkey, and the iteration count written into each hash (format V3), so a hash made
/// with another count still verifies with its own.
/// </summary>
internal static class LocalUserPasswords
{
    /// <summary>OWASP's Password Storage Cheat Sheet (2023 and since): 210,000 iterations for PBKDF2-HMAC-SHA512.</summary>
    public const int DefaultIterations = 210_000;

    /// <summary>The least a host may choose: NIST SP 800-63B's minimum for PBKDF2.</summary>
    public const int MinimumIterations = 10_000;

    private static readonly ConcurrentDictionary<int, (PasswordHasher<string> Hasher, string DummyHash)> Hashers = new();

    public static string Hash(string userName, string password, int iterations = DefaultIterations) => For(iterations).Hasher.HashPassword(userName, password);

    /// <summary>
    /// Whether <paramref name="password"/> is <paramref name="user"/>'s. An unknown user is checked against a hash of
    /// <paramref name="iterations"/> all the same, so the answer takes as long either way (no user enumeration).
    /// </summary>
    public static bool Verify(McpOAuthUser? user, string userName, string password, int iterations = DefaultIterations)
    {
        var (hasher, dummy) = For(iterations);
        var result = hasher.VerifyHashedPassword(userName, user?.PasswordHash is { Length: > 0 } hash ? hash : dummy, password);
        return user is not null && result is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded;
    }

    private static (PasswordHasher<string> Hasher, string DummyHash) For(int iterations) => Hashers.GetOrAdd(iterations, n =>
    {
        var hasher = new PasswordHasher<string>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3, IterationCount = n }));
        return (hasher, hasher.HashPassword("", Guid.NewGuid().ToString()));
    });
}
