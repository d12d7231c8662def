using Microsoft.AspNetCore.Identity;

namespace McpSseAuth;

/// <summary>Password hashing for local users with ASP.NET Core's <see cref="PasswordHasher{TUser}"/> (PBKDF2).</summary>
internal static class LocalUserPasswords
{
    private static readonly PasswordHasher<string> Hasher = new();

    // Verified against when the user name is unknown, so the answer takes as long either way (no user enumeration).
    private static readonly string DummyHash = Hasher.HashPassword("", Guid.NewGuid().ToString());

    public static string Hash(string userName, string password) => Hasher.HashPassword(userName, password);

    public static bool Verify(McpOAuthUser? user, string userName, string password)
    {
        var result = Hasher.VerifyHashedPassword(userName, user?.PasswordHash is { Length: > 0 } hash ? hash : DummyHash, password);
        return user is not null && result is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded;
    }
}
