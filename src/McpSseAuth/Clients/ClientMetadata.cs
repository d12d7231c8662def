using System.Text.Json;
using McpSseAuth.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Clients;

/// <summary>
/// RFC 7591 §2 client metadata, as a registration request or a client ID metadata document carries it: checked member by
/// member (redirect URIs by <see cref="RedirectUriRules"/>), with errors that name the
/// member. Every client so described is a public client (<c>token_endpoint_auth_method: none</c>).
/// </summary>
internal sealed class ClientMetadata(IOptions<McpOAuthOptions> options, TimeProvider time)
{
    public const int MaxRedirectUris = 10;
    private static readonly string[] KnownGrantTypes = ["authorization_code", "refresh_token"];
    private static readonly string[] KnownAuthMethods = ["none", "client_secret_post", "client_secret_basic"];

    /// <param name="root">The registration request or the metadata document.</param>
    /// <param name="clientId">The client id the client gets (or, for a document, is).</param>
    /// <param name="describedByDocument">
    /// True for a client ID metadata document: it describes the client to every server, so grant types this server does not
    /// support (VS Code's lists the device code grant) are left out rather than refused. A registration request is answered
    /// to its client alone and stays strict.
    /// </param>
    /// <param name="client">The client, when the metadata is acceptable.</param>
    /// <param name="error">Why it is not.</param>
    public bool TryParse(JsonElement root, string clientId, bool describedByDocument, out ClientRegistration client, out OAuthError error)
    {
        client = null!;
        error = null!;
        var o = options.Value;

        if (!TryGetStringArray(root, "redirect_uris", out var redirectUris, out error))
        {
            return false;
        }

        if (redirectUris is null || redirectUris.Count == 0)
        {
            error = OAuthError.InvalidRedirectUri("redirect_uris is required and must list at least one URI.");
            return false;
        }

        if (redirectUris.Count > MaxRedirectUris)
        {
            error = OAuthError.InvalidRedirectUri($"redirect_uris must not list more than {MaxRedirectUris} URIs.");
            return false;
        }

        foreach (var uri in redirectUris)
        {
            if (!RedirectUriRules.TryValidateForRegistration(uri, o.RedirectUris.AllowedSchemes, out var problem))
            {
                error = OAuthError.InvalidRedirectUri($"The redirect URI '{Shorten(uri)}' {problem}.");
                return false;
            }

            if (!RedirectUriRules.IsAllowedHost(new Uri(uri), options.Value.RedirectUris.AllowedHosts))
            {
                error = OAuthError.InvalidRedirectUri($"The redirect URI '{Shorten(uri)}' names a host this server does not accept for registration.");
                return false;
            }
        }

        if (!TryGetStringArray(root, "grant_types", out var grantTypes, out error))
        {
            return false;
        }

        grantTypes ??= ["authorization_code"];
        if (describedByDocument)
        {
            grantTypes = grantTypes.Where(g => KnownGrantTypes.Contains(g, StringComparer.Ordinal)).ToArray();
        }

        var unknownGrant = grantTypes.FirstOrDefault(g => !KnownGrantTypes.Contains(g, StringComparer.Ordinal));
        if (unknownGrant is not null)
        {
            error = OAuthError.InvalidClientMetadata($"The grant type '{Shorten(unknownGrant)}' is not supported; use authorization_code and refresh_token.");
            return false;
        }

        if (!grantTypes.Contains("authorization_code", StringComparer.Ordinal))
        {
            error = OAuthError.InvalidClientMetadata("grant_types must include authorization_code.");
            return false;
        }

        if (!TryGetStringArray(root, "response_types", out var responseTypes, out error))
        {
            return false;
        }

        responseTypes ??= ["code"];
        if (responseTypes.Count == 0 || responseTypes.Any(r => r != "code"))
        {
            error = OAuthError.InvalidClientMetadata("response_types must be [\"code\"]: only the authorization code flow is supported.");
            return false;
        }

        if (!TryGetString(root, "token_endpoint_auth_method", 64, out var authMethod, out error))
        {
            return false;
        }

        if (authMethod is not null && !KnownAuthMethods.Contains(authMethod, StringComparer.Ordinal))
        {
            error = OAuthError.InvalidClientMetadata($"token_endpoint_auth_method '{Shorten(authMethod)}' is not supported; clients are registered as public clients (none).");
            return false;
        }

        if (!TryGetString(root, "client_name", 200, out var clientName, out error) ||
            !TryGetString(root, "client_uri", 2000, out var clientUri, out error) ||
            !TryGetString(root, "scope", 1000, out var scope, out error) ||
            !TryGetString(root, "application_type", 32, out var applicationType, out error) ||
            !TryGetString(root, "software_id", 200, out var softwareId, out error) ||
            !TryGetString(root, "software_version", 100, out var softwareVersion, out error))
        {
            return false;
        }

        if (clientUri is not null && (!Uri.TryCreate(clientUri, UriKind.Absolute, out var parsedClientUri) || parsedClientUri.Scheme is not ("https" or "http")))
        {
            error = OAuthError.InvalidClientMetadata("client_uri must be an absolute http(s) URI.");
            return false;
        }

        if (applicationType is not null and not ("native" or "web"))
        {
            error = OAuthError.InvalidClientMetadata("application_type must be \"native\" or \"web\".");
            return false;
        }

        // MCP 2026-07-28, "Application Type and Redirect URI Constraints" (SEP-837): a client that says it is a web
        // application is held to OpenID Connect Registration's rule for web clients, https on a host that is not local; a
        // native one may also use loopback http and private-use schemes. Without application_type both are accepted: this
        // registration is not OpenID Connect's, whose default of "web" would refuse most MCP clients.
        if (applicationType == "web" && redirectUris.FirstOrDefault(u => !RedirectUriRules.IsWebApplicationRedirect(u)) is { } local)
        {
            error = OAuthError.InvalidRedirectUri($"The redirect URI '{Shorten(local)}' is not a web application's (application_type \"web\"): use https on a host that is not loopback, or register with application_type \"native\".");
            return false;
        }

        // RFC 9449 §5.2: a client that always uses DPoP says so, and its token requests without a proof are then refused.
        if (!TryGetBool(root, "dpop_bound_access_tokens", out var dpopBound, out error))
        {
            return false;
        }

        // Unknown scopes are dropped rather than refused (RFC 7591 §2: the server may replace requested values).
        var knownScopes = scope?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(o.Scopes.IsSupported).Distinct(StringComparer.Ordinal).ToArray();

        client = new ClientRegistration
        {
            ClientId = clientId,
            ClientName = clientName,
            ClientUri = clientUri,
            RedirectUris = redirectUris,
            GrantTypes = grantTypes.Distinct(StringComparer.Ordinal).ToArray(),
            ResponseTypes = ["code"],
            TokenEndpointAuthMethod = "none",
            ApplicationType = applicationType,
            Scope = knownScopes is { Length: > 0 } ? string.Join(' ', knownScopes) : null,
            SoftwareId = softwareId,
            SoftwareVersion = softwareVersion,
            DpopBoundAccessTokens = dpopBound && o.Dpop.Enabled,
            IssuedAt = time.GetUtcNow(),
        };
        return true;
    }

    private static bool TryGetBool(JsonElement root, string name, out bool value, out OAuthError error)
    {
        value = false;
        error = null!;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            error = OAuthError.InvalidClientMetadata($"{name} must be true or false.");
            return false;
        }

        value = element.GetBoolean();
        return true;
    }

    public static bool TryGetString(JsonElement root, string name, int maxLength, out string? value, out OAuthError error)
    {
        value = null;
        error = null!;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = OAuthError.InvalidClientMetadata($"{name} must be a string.");
            return false;
        }

        if (!TryGetText(element, out value))
        {
            error = OAuthError.InvalidClientMetadata($"{name} is not valid text (UTF-8, no lone surrogates).");
            return false;
        }

        if (value!.Length > maxLength)
        {
            error = OAuthError.InvalidClientMetadata($"{name} must not exceed {maxLength} characters.");
            return false;
        }

        if (value.Length == 0)
        {
            value = null;
        }

        return true;
    }

    private static bool TryGetStringArray(JsonElement root, string name, out IReadOnlyList<string>? values, out OAuthError error)
    {
        values = null;
        error = null!;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() > 100)
        {
            error = name == "redirect_uris"
                ? OAuthError.InvalidRedirectUri("redirect_uris must be an array of strings.")
                : OAuthError.InvalidClientMetadata($"{name} must be an array of strings.");
            return false;
        }

        var list = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                error = name == "redirect_uris"
                    ? OAuthError.InvalidRedirectUri("redirect_uris must be an array of strings.")
                    : OAuthError.InvalidClientMetadata($"{name} must be an array of strings.");
                return false;
            }

            if (!TryGetText(item, out var text))
            {
                error = name == "redirect_uris"
                    ? OAuthError.InvalidRedirectUri("redirect_uris must hold valid text (UTF-8, no lone surrogates).")
                    : OAuthError.InvalidClientMetadata($"{name} must hold valid text (UTF-8, no lone surrogates).");
                return false;
            }

            list.Add(text!);
        }

        values = list;
        return true;
    }

    public static string Shorten(string value) => value.Length <= 100 ? value : value[..100] + "…";

    /// <summary>A JSON string's text; false when it is not valid UTF-8 or holds a lone surrogate (GetString throws then).</summary>
    public static bool TryGetText(JsonElement element, out string? text)
    {
        try
        {
            text = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }
}
