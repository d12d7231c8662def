using McpSseAuth.Clients;

namespace McpSseAuth.Hosting;

/// <summary>
/// The groups that decide which clients may exist: <c>RedirectUris</c>, <c>Registration</c>, <c>ClientMetadataDocuments</c>
/// and the configured <c>Clients</c>.
/// </summary>
internal static class ClientOptionsChecks
{
    public static void Check(McpOAuthOptions options, List<string> failures)
    {
        foreach (var scheme in options.RedirectUris.AllowedSchemes)
        {
            if (ForbiddenRedirectSchemes.Contains(scheme) || !IsUriScheme(scheme))
            {
                failures.Add($"'{scheme}' cannot be an allowed redirect URI scheme (McpOAuthOptions.RedirectUris.AllowedSchemes): use a private-use scheme in reverse-domain form such as com.example.app (RFC 8252 §7.1); https and loopback http are always allowed.");
            }
        }

        foreach (var host in options.RedirectUris.AllowedHosts)
        {
            if (HostEntryProblem(host) is { } problem)
            {
                failures.Add($"McpOAuthOptions.RedirectUris.AllowedHosts: '{host}' {problem}.");
            }
        }

        CheckRegistration(options.Registration, failures);
        if (!options.Registration.Enabled && !options.ClientMetadataDocuments.Enabled && options.Clients.Count == 0)
        {
            failures.Add("McpOAuthOptions.Registration.Enabled and ClientMetadataDocuments.Enabled are both false and McpOAuthOptions.Clients is empty: no MCP client could sign in. Turn on ClientMetadataDocuments (the 2026-07-28 way), turn registration back on, or configure a client.");
        }

        CheckMetadataDocuments(options.ClientMetadataDocuments, failures);
        ValidateClients(options, failures);
    }

    private static void CheckRegistration(McpOAuthRegistrationOptions registration, List<string> failures)
    {
        if (registration.AccessToken is { Length: < 32 })
        {
            failures.Add("McpOAuthOptions.Registration.AccessToken is shorter than 32 characters: use a random value, e.g. from `openssl rand -base64 32`.");
        }

        if (registration.MaxPerAddress <= 0)
        {
            failures.Add("McpOAuthOptions.Registration.MaxPerAddress must be positive (default 200).");
        }

        if (registration.MaxClients <= 0)
        {
            failures.Add("McpOAuthOptions.Registration.MaxClients must be positive (default 10,000).");
        }

        OptionChecks.Positive(failures, "Registration.Window", registration.Window);
        OptionChecks.Positive(failures, "Registration.UnusedClientLifetime", registration.UnusedClientLifetime);
    }

    private static void CheckMetadataDocuments(McpClientMetadataDocumentOptions documents, List<string> failures)
    {
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
                if (!RedirectUriRules.TryValidateForRegistration(uri, options.RedirectUris.AllowedSchemes, out var uriProblem))
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

            foreach (var scope in client.Scopes.Where(s => !options.Scopes.IsSupported(s)))
            {
                failures.Add($"{label}.Scopes: '{scope}' is not in McpOAuthOptions.Scopes.Supported.");
            }

            if (client.AllowIntrospection && !confidential)
            {
                failures.Add($"{label}.AllowIntrospection needs a confidential client: set ClientSecret or JwksJson.");
            }
        }
    }
}
