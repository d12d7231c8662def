using McpSseAuth.Clients;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Hosting;

/// <summary>Checks <see cref="McpOAuthOptions"/> at startup; each message says how to fix the setting.</summary>
internal sealed class McpOAuthOptionsValidator : IValidateOptions<McpOAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, McpOAuthOptions options)
    {
        var failures = new List<string>();

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

        Positive(failures, nameof(options.AccessTokenLifetime), options.AccessTokenLifetime);
        Positive(failures, nameof(options.RefreshTokenLifetime), options.RefreshTokenLifetime);
        if (options.SessionIdleTimeout < TimeSpan.FromSeconds(1) || options.SessionIdleTimeout > TimeSpan.FromDays(30))
        {
            failures.Add($"McpOAuthOptions.SessionIdleTimeout is {options.SessionIdleTimeout}: use 1 second up to 30 days (default 2 hours).");
        }

        Positive(failures, nameof(options.RefreshTokenAbsoluteLifetime), options.RefreshTokenAbsoluteLifetime);
        if (options.RefreshTokenReuseWindow < TimeSpan.Zero || options.RefreshTokenReuseWindow > TimeSpan.FromMinutes(5))
        {
            failures.Add($"McpOAuthOptions.RefreshTokenReuseWindow is {options.RefreshTokenReuseWindow}: use zero (off) up to 5 minutes; a stolen refresh token can be replayed inside it.");
        }
        Positive(failures, nameof(options.SignInLifetime), options.SignInLifetime);
        Positive(failures, nameof(options.UserStatusInterval), options.UserStatusInterval);
        Positive(failures, nameof(options.AuthorizationCodeLifetime), options.AuthorizationCodeLifetime);
        if (options.AuthorizationCodeLifetime > TimeSpan.FromMinutes(10))
        {
            failures.Add("McpOAuthOptions.AuthorizationCodeLifetime must be at most 10 minutes (RFC 6749 §4.1.2); 1 minute is the default.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add("McpOAuthOptions.ClockSkew must be between 0 and 5 minutes.");
        }

        foreach (var scheme in options.AllowedRedirectUriSchemes)
        {
            if (ForbiddenRedirectSchemes.Contains(scheme) || !IsUriScheme(scheme))
            {
                failures.Add($"'{scheme}' cannot be an allowed redirect URI scheme: use a private-use scheme in reverse-domain form such as com.example.app (RFC 8252 §7.1); https and loopback http are always allowed.");
            }
        }

        if (options.MaxRegisteredClients <= 0)
        {
            failures.Add("McpOAuthOptions.MaxRegisteredClients must be positive.");
        }

        if (options.MaxFailedSignIns <= 0 || options.FailedSignInWindow <= TimeSpan.Zero)
        {
            failures.Add("McpOAuthOptions.MaxFailedSignIns and FailedSignInWindow must be positive (defaults: 10 per 5 minutes).");
        }

        if (options.MaxSessionsPerUser <= 0 || options.MaxSessions <= 0 || options.MaxSseRequestsInFlight <= 0 || options.MaxMessageBytes <= 0)
        {
            failures.Add("McpOAuthOptions.MaxSessionsPerUser, MaxSessions, MaxSseRequestsInFlight and MaxMessageBytes must be positive (defaults: 20, 10,000, 32, 4 MiB).");
        }

        if (options.MaxPendingAuthorizations <= 0)
        {
            failures.Add("McpOAuthOptions.MaxPendingAuthorizations must be positive.");
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

        ValidateClients(options, failures);

        foreach (var host in options.AllowedRedirectHosts)
        {
            if (HostEntryProblem(host) is { } problem)
            {
                failures.Add($"McpOAuthOptions.AllowedRedirectHosts: '{host}' {problem}.");
            }
        }

        if (options.RegistrationAccessToken is { Length: < 32 })
        {
            failures.Add("McpOAuthOptions.RegistrationAccessToken is shorter than 32 characters: use a random value, e.g. from `openssl rand -base64 32`.");
        }

        if (options.MaxRegistrationsPerAddress <= 0)
        {
            failures.Add("McpOAuthOptions.MaxRegistrationsPerAddress must be positive (default 200).");
        }

        Positive(failures, nameof(options.RegistrationWindow), options.RegistrationWindow);
        var documents = options.ClientMetadataDocuments;
        foreach (var host in documents.AllowedHosts)
        {
            if (HostEntryProblem(host) is { } problem)
            {
                failures.Add($"McpOAuthOptions.ClientMetadataDocuments.AllowedHosts: '{host}' {problem}.");
            }
        }

        if (documents.MaxDocumentBytes is < 512 or > 1024 * 1024)
        {
            failures.Add($"McpOAuthOptions.ClientMetadataDocuments.MaxDocumentBytes is {documents.MaxDocumentBytes}: use 512 bytes to 1 MiB (default 10 KiB).");
        }

        if (documents.FetchTimeout <= TimeSpan.Zero || documents.FetchTimeout > TimeSpan.FromMinutes(1))
        {
            failures.Add($"McpOAuthOptions.ClientMetadataDocuments.FetchTimeout is {documents.FetchTimeout}: use more than zero, at most 1 minute (default 5 seconds).");
        }

        if (documents.MinCacheDuration <= TimeSpan.Zero || documents.MaxCacheDuration < documents.MinCacheDuration)
        {
            failures.Add("McpOAuthOptions.ClientMetadataDocuments: MinCacheDuration must be positive and MaxCacheDuration at least as long (defaults 1 minute, 24 hours).");
        }

        Positive(failures, nameof(options.UnusedClientLifetime), options.UnusedClientLifetime);

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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Schemes that run code, read local data or are web schemes with their own rules.
    private static readonly HashSet<string> ForbiddenRedirectSchemes = new(StringComparer.OrdinalIgnoreCase)
    {
        "http", "https", "javascript", "vbscript", "data", "file", "blob", "about", "ftp", "ws", "wss", "filesystem", "view-source", "chrome", "mailto", "tel",
    };

    // RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    private static bool IsUriScheme(string scheme)
        => scheme.Length > 0 && char.IsAsciiLetter(scheme[0]) && scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');

    /// <summary>
    /// An allowed-host entry as it is compared: an ASCII host name (punycode for international names), no trailing dot, no
    /// brackets, or <c>*.</c> and at least two labels.
    /// </summary>
    private static string? HostEntryProblem(string host)
    {
        var wildcard = host.StartsWith("*.", StringComparison.Ordinal);
        var name = wildcard ? host[2..] : host;
        if (name.Length == 0 || name.Contains('*', StringComparison.Ordinal) || name.EndsWith('.') || name.StartsWith('[') || !name.All(c => c is > ' ' and < (char)0x7F))
        {
            return "is not a host as compared: use an ASCII name without a trailing dot (punycode for international names), e.g. 'example.com' or '*.example.com'";
        }

        if (Uri.CheckHostName(name) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
        {
            return "is not a host name";
        }

        return wildcard && !name.Contains('.', StringComparison.Ordinal) ? "covers a whole top-level domain: name at least two labels after '*.'" : null;
    }

    private static void Positive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"McpOAuthOptions.{name} must be positive (got {value}).");
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

    private static void ValidateClients(McpOAuthOptions options, List<string> failures)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var client in options.Clients)
        {
            var id = client.ClientId;
            var label = $"McpOAuthOptions.Clients['{(id.Length > 60 ? id[..60] : id)}']";
            if (id.Length is 0 or > 200 || !RedirectUriRules.IsPrintableAscii(id))
            {
                failures.Add("Every McpOAuthOptions.Clients entry needs a ClientId: printable ASCII without spaces, at most 200 characters.");
                continue;
            }

            if (!seen.Add(id))
            {
                failures.Add($"{label} appears twice: client ids must be unique.");
            }

            if (client.ClientSecret is { Length: < 32 })
            {
                failures.Add($"{label}.ClientSecret is shorter than 32 characters: use a random secret, e.g. from `openssl rand -base64 32`.");
            }

            if (client.JwksJson is { } jwks && ConfiguredClients.ParseJwks(jwks).Problem is { } problem)
            {
                failures.Add($"{label}.JwksJson {problem}.");
            }

            foreach (var uri in client.RedirectUris)
            {
                if (!RedirectUriRules.TryValidateForRegistration(uri, options.AllowedRedirectUriSchemes, out var uriProblem))
                {
                    failures.Add($"{label}.RedirectUris: '{uri}' {uriProblem}.");
                }
            }

            var confidential = client.ClientSecret is not null || client.JwksJson is not null;
            var grantTypes = ConfiguredClients.EffectiveGrantTypes(client);
            foreach (var grantType in grantTypes.Where(g => g is not ("authorization_code" or "refresh_token" or ConfiguredClients.ClientCredentials)))
            {
                failures.Add($"{label}.GrantTypes: '{grantType}' is not supported; use authorization_code, refresh_token, client_credentials.");
            }

            if (grantTypes.Contains(ConfiguredClients.ClientCredentials) && !confidential)
            {
                failures.Add($"{label} uses client_credentials but has no credentials: set ClientSecret or JwksJson.");
            }

            if (grantTypes.Contains("authorization_code") && client.RedirectUris.Count == 0)
            {
                failures.Add($"{label} uses authorization_code but has no RedirectUris.");
            }

            if (grantTypes.Contains("refresh_token") && !grantTypes.Contains("authorization_code"))
            {
                failures.Add($"{label} uses refresh_token without authorization_code: refresh tokens come only from the authorization code flow.");
            }

            foreach (var scope in client.Scopes.Where(s => !options.Scopes.ContainsKey(s)))
            {
                failures.Add($"{label}.Scopes: '{scope}' is not in McpOAuthOptions.Scopes.");
            }

            if (client.AllowIntrospection && !confidential)
            {
                failures.Add($"{label}.AllowIntrospection needs a confidential client: set ClientSecret or JwksJson.");
            }
        }
    }
}
