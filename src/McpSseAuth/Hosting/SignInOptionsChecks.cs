namespace McpSseAuth.Hosting;

/// <summary>Who may sign in and how: local users, remote schemes, failed sign-ins, the claims tokens carry, service tokens.</summary>
internal static class SignInOptionsChecks
{
    public static void Check(McpOAuthOptions options, List<string> failures)
    {
        if (options.MaxFailedSignIns <= 0 || options.FailedSignInWindow <= TimeSpan.Zero)
        {
            failures.Add("McpOAuthOptions.MaxFailedSignIns and FailedSignInWindow must be positive (defaults: 10 per 5 minutes).");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var user in options.Users)
        {
            if (string.IsNullOrWhiteSpace(user.UserName))
            {
                failures.Add("A user in McpOAuthOptions.Users has no UserName.");
                continue;
            }

            if (!seen.Add(user.UserName))
            {
                failures.Add($"The user name '{user.UserName}' appears more than once in McpOAuthOptions.Users.");
            }

            if (string.IsNullOrEmpty(user.PasswordHash) || !IsBase64(user.PasswordHash))
            {
                failures.Add($"The user '{user.UserName}' has no valid PasswordHash: make one with McpOAuthUser.HashPassword(name, password), or call options.AddUser(name, password).");
            }

            if (user.UserName.Contains(':', StringComparison.Ordinal))
            {
                failures.Add($"The user name '{user.UserName}' contains ':', which is kept for the subjects of upstream users: choose another name.");
            }
        }

        if (options.SignInSchemes.Count == 0 && options.Users.Count == 0)
        {
            failures.Add("No one can sign in: add local users (options.AddUser(name, password), or McpOAuth:Users in configuration), or add a remote scheme (e.g. AddOpenIdConnect(\"corp\", ...)) to McpOAuthOptions.SignInSchemes.");
        }

        if (options.SignInSchemes.Distinct(StringComparer.Ordinal).Count() != options.SignInSchemes.Count)
        {
            failures.Add("McpOAuthOptions.SignInSchemes lists a scheme more than once.");
        }

        if (options.SignInSchemes.Any(s => s is McpOAuthDefaults.SignInCookieScheme or McpOAuthDefaults.ExternalCookieScheme or McpOAuthDefaults.BearerScheme))
        {
            failures.Add("McpOAuthOptions.SignInSchemes names remote schemes such as OpenID Connect or GitHub, not McpSseAuth's own cookie or bearer schemes.");
        }

        if (options.ChallengeScheme is { } challenge && !options.SignInSchemes.Contains(challenge, StringComparer.Ordinal))
        {
            failures.Add($"McpOAuthOptions.ChallengeScheme '{challenge}' must also be in SignInSchemes: add it there, or set ChallengeScheme to null to show the login page.");
        }

        foreach (var claim in options.AccessTokenClaims.Where(Users.SignedInUser.ReservedClaims.Contains))
        {
            failures.Add($"McpOAuthOptions.AccessTokenClaims cannot list '{claim}': access tokens set it themselves.");
        }

        if (options.UpstreamTokenRefreshMargin < TimeSpan.Zero)
        {
            failures.Add("McpOAuthOptions.UpstreamTokenRefreshMargin cannot be negative.");
        }

        var services = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in options.ServiceTokens)
        {
            if (service.Name.Length == 0 || service.Name.Length > 64 || !service.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                failures.Add($"The service token name '{service.Name}' must be 1 to 64 letters, digits, '-', '_' or '.'.");
            }
            else if (!services.Add(service.Name))
            {
                failures.Add($"The service token '{service.Name}' is configured more than once.");
            }

            if (string.IsNullOrWhiteSpace(service.DisplayName))
            {
                failures.Add($"The service token '{service.Name}' needs a DisplayName for the page.");
            }
        }
    }

    private static bool IsBase64(string value)
    {
        // PasswordHasher's hashes are under 100 characters; anything much longer is not one.
        if (value.Length > 1024)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }
}
