namespace McpSseAuth;

/// <summary>
/// Where authorization codes may be sent, for every client (registered, configured or described by a metadata document):
/// the <c>RedirectUris</c> section of the configuration. https and loopback http are always allowed; redirect URIs are
/// matched exactly.
/// </summary>
public sealed class McpOAuthRedirectUriOptions
{
    /// <summary>
    /// URI schemes allowed for redirect URIs besides https and loopback http, for native apps that use private-use schemes
    /// (RFC 8252 §7.1). Default: <c>cursor</c>, which Cursor registers together with its other redirect URIs (one refused
    /// URI refuses the registration). RFC 8252 asks for reverse-domain scheme names, which <c>cursor</c> is not; PKCE,
    /// required for every client, keeps a code sent to another app claiming the scheme useless. Remove it to refuse Cursor.
    /// </summary>
    public ISet<string> AllowedSchemes { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "cursor" };

    /// <summary>
    /// Hosts an https redirect URI of a registered or metadata-document client may name: exact names (<c>claude.ai</c>)
    /// or all subdomains (<c>*.example.com</c>). Empty (the default) allows any host. Loopback redirect URIs (native
    /// clients) and the <see cref="AllowedSchemes"/> are allowed either way.
    /// </summary>
    public ISet<string> AllowedHosts { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
}
