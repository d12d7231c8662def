namespace McpSseAuth.Hosting;

/// <summary>The <c>SignIn</c> group, the local <c>Users</c> and the <c>ServiceTokens</c>: who may sign in, how, and what they may store.</summary>
internal static class SignInOptionsChecks
{
    public static void Check(McpOAuthOptions options, List<string> failures)
    {
        var signIn = options.SignIn;
        OptionChecks.Positive(failures, "SignIn.Lifetime", signIn.Lifetime);
        OptionChecks.Positive(failures, "SignIn.UserStatusInterval", signIn.UserStatusInterval);
        if (signIn.MaxFailedAttempts <= 0 || signIn.FailedAttemptWindow <= TimeSpan.Zero)
        {
            failures.Add("McpOAuthOptions.SignIn.MaxFailedAttempts and FailedAttemptWindow must be positive (defaults: 10 per 5 minutes).");
        }

        if (signIn.PasswordHashIterations < LocalUserPasswords.MinimumIterations)
        {
            failures.Add("McpOAuthOptions.SignIn.PasswordHashIterations must be at least 10,000 (NIST SP 800-63B); the default is 210,000, OWASP's figure for PBKDF2-HMAC-SHA512.");
        }

        if (options.Operators.ApiSchemes.Contains(McpOAuthDefaults.SignInCookieScheme, StringComparer.Ordinal))
        {
            failures.Add($"McpOAuthOptions.Operators.ApiSchemes names McpSseAuth's sign-in cookie ({McpOAuthDefaults.SignInCookieScheme}): an API a cookie opens is open to cross-site requests. Name a scheme that reads a header, e.g. JwtBearerDefaults.AuthenticationScheme; operators use the pages with the cookie.");
        }

        if (options.Operators.ApiSchemes.Count > 0 && !options.Operators.Access.HasRules)
        {
            failures.Add("McpOAuthOptions.Operators.ApiSchemes is set but Operators.Access names no operator, so the API would refuse everyone. Add the operators, e.g. options.Operators.Access.AllowedUsers.Add(\"admin@example.com\") or RequiredRoles.Add(\"mcp-operator\").");
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

        if (signIn.Schemes.Count == 0 && options.Users.Count == 0)
        {
            failures.Add("No one can sign in: add local users (options.AddUser(name, password), or McpOAuth:Users in configuration), or add a remote scheme (e.g. AddOpenIdConnect(\"corp\", ...)) to McpOAuthOptions.SignIn.Schemes.");
        }

        if (signIn.Schemes.Distinct(StringComparer.Ordinal).Count() != signIn.Schemes.Count)
        {
            failures.Add("McpOAuthOptions.SignIn.Schemes lists a scheme more than once.");
        }

        if (signIn.Schemes.Any(s => s is McpOAuthDefaults.SignInCookieScheme or McpOAuthDefaults.ExternalCookieScheme or McpOAuthDefaults.BearerScheme))
        {
            failures.Add("McpOAuthOptions.SignIn.Schemes names remote schemes such as OpenID Connect or GitHub, not McpSseAuth's own cookie or bearer schemes.");
        }

        if (signIn.ChallengeScheme is { } challenge && !signIn.Schemes.Contains(challenge, StringComparer.Ordinal))
        {
            failures.Add($"McpOAuthOptions.SignIn.ChallengeScheme '{challenge}' must also be in SignIn.Schemes: add it there, or set ChallengeScheme to null to show the login page.");
        }

        if (signIn.UpstreamTokenRefreshMargin < TimeSpan.Zero)
        {
            failures.Add("McpOAuthOptions.SignIn.UpstreamTokenRefreshMargin cannot be negative.");
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

            if (service.Format is { } format && !IsRegex(format))
            {
                failures.Add($"The Format of the service token '{service.Name}' is not a .NET regular expression: '{format}'.");
            }

            if (service.HelpUrl is { } help && (!help.IsAbsoluteUri || (help.Scheme != Uri.UriSchemeHttps && help.Scheme != Uri.UriSchemeHttp)))
            {
                failures.Add($"The HelpUrl of the service token '{service.Name}' must be an absolute http or https URL.");
            }
        }
    }

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
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
