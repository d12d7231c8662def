namespace McpSseAuth;

/// <summary>A local user of the built-in login page.</summary>
public sealed class McpOAuthUser
{
    /// <summary>The name typed on the login page; the token subject is derived from it.</summary>
    public string UserName { get; set; } = "";

    /// <summary>A hash made by ASP.NET Core's <c>PasswordHasher</c>, PBKDF2-HMAC-SHA512 (see <c>McpOAuthUser.HashPassword</c>).</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>A display name for pages and the <c>name</c> claim; defaults to <see cref="UserName"/>.</summary>
    public string? DisplayName { get; set; }

    /// <summary>
    /// A disabled user cannot sign in, and within <see cref="McpOAuthSignInOptions.UserStatusInterval"/> loses every grant,
    /// session and sign-in (as removing the user from the list does); set it back to let them sign in again.
    /// </summary>
    public bool Disabled { get; set; }

    /// <summary>
    /// Makes a password hash for configuration files: PBKDF2-HMAC-SHA512 with 210,000 iterations (OWASP's figure, the default
    /// of <see cref="McpOAuthSignInOptions.PasswordHashIterations"/>) and a random 128-bit salt.
    /// </summary>
    /// <param name="userName">The user the hash is for.</param>
    /// <param name="password">The password in clear text.</param>
    /// <returns>The hash to put in <see cref="PasswordHash"/>.</returns>
    public static string HashPassword(string userName, string password) => LocalUserPasswords.Hash(userName, password);

    /// <summary>Makes a password hash for configuration files with <paramref name="iterations"/> of PBKDF2-HMAC-SHA512.</summary>
    /// <param name="userName">The user the hash is for.</param>
    /// <param name="password">The password in clear text.</param>
    /// <param name="iterations">At least 10,000; use the same as <see cref="McpOAuthSignInOptions.PasswordHashIterations"/>.</param>
    /// <returns>The hash to put in <see cref="PasswordHash"/>.</returns>
    public static string HashPassword(string userName, string password, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, LocalUserPasswords.MinimumIterations);
        return LocalUserPasswords.Hash(userName, password, iterations);
    }
}
