namespace McpSseAuth.Users;

/// <summary>Applies <see cref="McpOAuthAccessRules"/>; the reason it returns is shown to the refused user and logged.</summary>
internal static class AccessRuleCheck
{

    /// <summary>Null when the user may sign in; otherwise why not, in words the user understands.</summary>
    public static string? Refusal(McpOAuthAccessRules rules, UpstreamIdentity user)
    {
        var email = user.Email is { } address && address.IndexOf('@', StringComparison.Ordinal) > 0 ? address : null;
        var emailUsable = email is not null && (user.EmailVerified || !rules.RequireVerifiedEmail);
        var hostedDomain = rules.HostedDomainIssuers.Contains(user.Issuer) ? user.HostedDomain : null;
        if (rules.AllowedEmailDomains.Count + rules.AllowedHostedDomains.Count + rules.AllowedUsers.Count > 0)
        {
            var domain = email is null ? null : email[(email.LastIndexOf('@') + 1)..];
            var allowed =
                (emailUsable && domain is not null && rules.AllowedEmailDomains.Contains(domain)) ||
                (hostedDomain is not null && rules.AllowedHostedDomains.Contains(hostedDomain)) ||
                (emailUsable && rules.AllowedUsers.Contains(email!)) ||
                // Subjects are case-sensitive (OpenID Connect Core §2); only the e-mail comparison ignores case.
                rules.AllowedUsers.Any(u => string.Equals(u, user.IssuerAndSubject, StringComparison.Ordinal));
            if (!allowed)
            {
                if (email is not null && !emailUsable && !user.EmailVerifiedSent && (rules.AllowedEmailDomains.Count > 0 || rules.AllowedUsers.Count > 0))
                {
                    return $"Your identity provider did not say whether the e-mail address {email} is verified (no email_verified claim in its ID token or UserInfo), so it cannot be used to let you in. Ask the server's administrator to check the sign-in configuration.";
                }

                if (email is not null && !emailUsable && (rules.AllowedEmailDomains.Count > 0 || rules.AllowedUsers.Count > 0))
                {
                    return $"Your identity provider has not verified the e-mail address {email}, so it cannot be used to let you in. Verify it with the provider, then try again.";
                }

                return email is null
                    ? "Your identity provider did not share an e-mail address (no email claim in its ID token or UserInfo), and this server only lets in listed users and domains."
                    : $"The account {email} is not allowed to use this server. Sign in with an account of an allowed organisation, or ask the server's administrator for access.";
            }
        }

        if (rules.RequiredGroups.Count > 0 && user.Groups.Count == 0)
        {
            return $"Your identity provider did not share your groups (no {string.Join(" or ", rules.GroupClaimTypes)} claim in its ID token or UserInfo), and this server only lets in members of certain groups. Ask the server's administrator to check the sign-in configuration.";
        }

        if (rules.RequiredGroups.Count > 0 && !user.Groups.Any(rules.RequiredGroups.Contains))
        {
            return "Your account is not in a group that may use this server. Ask the server's administrator to add you.";
        }

        if (rules.RequiredRoles.Count > 0 && user.Roles.Count == 0)
        {
            return $"Your identity provider did not share your roles (no {string.Join(" or ", rules.RoleClaimTypes)} claim in its ID token or UserInfo), and this server only lets in certain roles. Ask the server's administrator to check the sign-in configuration.";
        }

        if (rules.RequiredRoles.Count > 0 && !user.Roles.Any(rules.RequiredRoles.Contains))
        {
            return "Your account does not have a role that may use this server. Ask the server's administrator for access.";
        }

        return null;
    }

    /// <summary>
    /// A local user or a configured client (<c>client:</c> + id), or an upstream user no longer remembered: no e-mail,
    /// domain, group or role is known, so only <see cref="McpOAuthAccessRules.AllowedUsers"/> naming it lets it in.
    /// </summary>
    public static string? RefusalByName(McpOAuthAccessRules rules, string subject)
    {
        if (rules.AllowedEmailDomains.Count + rules.AllowedHostedDomains.Count + rules.AllowedUsers.Count > 0 && !rules.AllowedUsers.Contains(subject))
        {
            return "Your account is not among those allowed here. Ask the server's administrator for access.";
        }

        return rules.RequiredGroups.Count + rules.RequiredRoles.Count > 0
            ? "Only members of certain groups or roles may use this, and your account has none. Ask the server's administrator for access."
            : null;
    }
}
