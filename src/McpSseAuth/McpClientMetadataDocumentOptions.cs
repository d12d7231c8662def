namespace McpSseAuth;

/// <summary>
/// Client ID Metadata Documents (MCP 2025-11-25): a client whose <c>client_id</c> is an https URL is described by the JSON
/// document at that URL, fetched when the client first appears, instead of registering. The fetch is SSRF-safe: https
/// only, no private, loopback, link-local or unique-local address (checked after DNS resolution, on every connection and
/// redirect hop), bounded in size and time, cached per the response's cache headers.
/// </summary>
public sealed class McpClientMetadataDocumentOptions
{
    /// <summary>Accept URL client ids. Default true; advertised as <c>client_id_metadata_document_supported</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Also fetch documents from loopback addresses (<c>127.0.0.1</c>, <c>[::1]</c>, <c>localhost</c>), over https or http:
    /// for development and tests only. Other private addresses stay refused.
    /// </summary>
    public bool AllowLoopback { get; set; }

    /// <summary>
    /// Adjusts the HTTP handler that fetches documents, e.g. <c>SslOptions</c> to trust a private certificate authority.
    /// Its <c>ConnectCallback</c> is McpSseAuth's guard against private addresses: replacing it removes that guard.
    /// </summary>
    public Action<System.Net.Http.SocketsHttpHandler>? ConfigureHttpHandler { get; set; }

    /// <summary>
    /// Hosts a client id URL may name: exact names or <c>*.example.com</c>. Empty (the default) accepts any public host.
    /// </summary>
    public ISet<string> AllowedHosts { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Largest document accepted. Default 10 KiB.</summary>
    public int MaxDocumentBytes { get; set; } = 10 * 1024;

    /// <summary>How long a fetch may take, redirects included. Default 5 seconds.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Shortest time a document (or a failure to get one) is kept, whatever its cache headers say: a flood of requests
    /// naming one client fetches once. Default 1 minute.
    /// </summary>
    public TimeSpan MinCacheDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest time a document is kept before it is fetched again. Default 24 hours.</summary>
    public TimeSpan MaxCacheDuration { get; set; } = TimeSpan.FromHours(24);
}
