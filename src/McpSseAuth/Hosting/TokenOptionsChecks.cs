using McpSseAuth.Clients;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Hosting;

/// <summary>The issuer, scopes, lifetimes, signing keys and endpoint paths: what every token this server issues depends on.</summary>
internal static class TokenOptionsChecks
{
    public static void Check(McpOAuthOptions options, List<string> failures)
    {
        if (options.Issuer is { } issuer)
        {
            if (!issuer.IsAbsoluteUri)
            {
                failures.Add($"McpOAuthOptions.Issuer must be an absolute URL such as https://mcp.example.com (got '{issuer}').");
            }
            else if (!string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment))
            {
                failures.Add($"McpOAuthOptions.Issuer must have no query or fragment (RFC 8414 §2); remove them from '{issuer}'.");
            }
            else if (issuer.Scheme != Uri.UriSchemeHttps && !(issuer.Scheme == Uri.UriSchemeHttp && (RedirectUriRules.IsLoopbackHost(issuer) || options.AllowInsecureHttp)))
            {
                failures.Add($"McpOAuthOptions.Issuer must use https (got '{issuer}'). Use an https URL, or set AllowInsecureHttp = true for development on a trusted network.");
            }
        }

        if (options.Scopes.Count == 0)
        {
            failures.Add("McpOAuthOptions.Scopes is empty: keep at least the default scope 'mcp:tools'.");
        }

        foreach (var scope in options.Scopes.Keys)
        {
            // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            if (scope.Length == 0 || scope.Any(c => c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E))
            {
                failures.Add($"The scope '{scope}' is not a valid scope token (RFC 6749 §3.3): use printable ASCII without spaces, quotes or backslashes.");
            }
        }

        if (options.DefaultScopes.Count == 0)
        {
            failures.Add("McpOAuthOptions.DefaultScopes is empty: name the scopes granted when a client asks for none.");
        }

        foreach (var scope in options.DefaultScopes.Where(s => !options.Scopes.ContainsKey(s)))
        {
            failures.Add($"The default scope '{scope}' is not in McpOAuthOptions.Scopes: add it there with a description.");
        }

        OptionChecks.Positive(failures, nameof(options.AccessTokenLifetime), options.AccessTokenLifetime);
        OptionChecks.Positive(failures, nameof(options.RefreshTokenLifetime), options.RefreshTokenLifetime);
        if (options.SessionIdleTimeout < TimeSpan.FromSeconds(1) || options.SessionIdleTimeout > TimeSpan.FromDays(30))
        {
            failures.Add($"McpOAuthOptions.SessionIdleTimeout is {options.SessionIdleTimeout}: use 1 second up to 30 days (default 2 hours).");
        }

        OptionChecks.Positive(failures, nameof(options.RefreshTokenAbsoluteLifetime), options.RefreshTokenAbsoluteLifetime);
        if (options.RefreshTokenReuseWindow < TimeSpan.Zero || options.RefreshTokenReuseWindow > TimeSpan.FromMinutes(5))
        {
            failures.Add($"McpOAuthOptions.RefreshTokenReuseWindow is {options.RefreshTokenReuseWindow}: use zero (off) up to 5 minutes; a stolen refresh token can be replayed inside it.");
        }
        OptionChecks.Positive(failures, nameof(options.SignInLifetime), options.SignInLifetime);
        OptionChecks.Positive(failures, nameof(options.UserStatusInterval), options.UserStatusInterval);
        OptionChecks.Positive(failures, nameof(options.AuthorizationCodeLifetime), options.AuthorizationCodeLifetime);
        if (options.AuthorizationCodeLifetime > TimeSpan.FromMinutes(10))
        {
            failures.Add("McpOAuthOptions.AuthorizationCodeLifetime must be at most 10 minutes (RFC 6749 §4.1.2); 1 minute is the default.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add("McpOAuthOptions.ClockSkew must be between 0 and 5 minutes.");
        }

        if (options.SigningAlgorithm is not ("ES256" or "RS256"))
        {
            failures.Add($"McpOAuthOptions.SigningAlgorithm is '{options.SigningAlgorithm}': use ES256 or RS256.");
        }

        if (options.SigningKeyRotationPeriod < TimeSpan.FromHours(1))
        {
            failures.Add($"McpOAuthOptions.SigningKeyRotationPeriod is {options.SigningKeyRotationPeriod}: use at least 1 hour (default 30 days).");
        }

        if (options.SigningCredentials is { Key: SymmetricSecurityKey })
        {
            failures.Add("McpOAuthOptions.SigningCredentials must use an asymmetric key (ECDSA or RSA) so resource servers can verify with the public key; leave it null to have one created.");
        }

        foreach (var (label, path) in new[]
        {
            (nameof(options.AuthorizationEndpointPath), options.AuthorizationEndpointPath),
            (nameof(options.TokenEndpointPath), options.TokenEndpointPath),
            (nameof(options.RevocationEndpointPath), options.RevocationEndpointPath),
            (nameof(options.IntrospectionEndpointPath), options.IntrospectionEndpointPath),
            (nameof(options.RegistrationEndpointPath), options.RegistrationEndpointPath),
            (nameof(options.JwksPath), options.JwksPath),
            (nameof(options.LoginPath), options.LoginPath),
            (nameof(options.ConsentPath), options.ConsentPath),
            (nameof(options.LogoutPath), options.LogoutPath),
            (nameof(options.ConnectedAppsPath), options.ConnectedAppsPath),
            (nameof(options.ServiceTokensPath), options.ServiceTokensPath),
        })
        {
            if (!path.HasValue || path.Value!.Length < 2)
            {
                failures.Add($"McpOAuthOptions.{label} must be a path such as /oauth/x.");
            }
        }
    }
}
