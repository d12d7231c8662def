using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Resources;

/// <summary>
/// The issuer and the URIs derived from it, built one way so the issuer is byte-identical everywhere it appears
/// (AS metadata, PRM <c>authorization_servers</c>, token <c>iss</c>): RFC 8414 §3.3, RFC 9207.
/// </summary>
internal sealed class ServerUris(IOptions<McpOAuthOptions> options)
{
    private static readonly object DerivedIssuerKey = new();
    private readonly string? _configuredIssuer = options.Value.Issuer is { } issuer ? Canonical(issuer) : null;

    /// <summary>The issuer: configured, or scheme://host[:port] + PathBase of the request.</summary>
    public string Issuer(HttpContext context)
    {
        if (_configuredIssuer is not null)
        {
            return _configuredIssuer;
        }

        // Requests nearly always name the same host: the last derivation is kept (one entry, so a stream of made-up Host
        // headers costs nothing more than deriving each), and a request of that host asks nothing more of itself.
        // Keyed on the Host header as sent (reading Request.Host decodes it, which throws for malformed punycode).
        var request = context.Request;
        var host = request.Headers.Host.Count == 1 ? request.Headers.Host[0] : null;
        var last = _lastDerived;
        if (last is not null && !string.IsNullOrEmpty(host) && string.Equals(last.Scheme, request.Scheme, StringComparison.Ordinal)
            && string.Equals(last.Host, host, StringComparison.Ordinal) && string.Equals(last.PathBase, request.PathBase.Value, StringComparison.Ordinal))
        {
            return last.Issuer;
        }

        // Another host: derived once per request (validation, challenges and metadata each ask for it several times), in the
        // request's Items — only here, as a legacy SSE stream would hold a request's Items for its whole life.
        if (context.Items.TryGetValue(DerivedIssuerKey, out var cached) && cached is string derived)
        {
            return derived;
        }

        (derived, var fromHeader) = Derive(context);
        if (fromHeader && !string.IsNullOrEmpty(host))
        {
            _lastDerived = new DerivedIssuer(request.Scheme, host, request.PathBase.Value, derived);
        }

        context.Items[DerivedIssuerKey] = derived;
        return derived;
    }

    private volatile DerivedIssuer? _lastDerived;
    private volatile ResourceUri? _lastResource;

    private sealed record DerivedIssuer(string Scheme, string Host, string? PathBase, string Issuer);

    private sealed record ResourceUri(string Issuer, string Path, string Uri);

    /// <summary>The issuer of this request, and whether it came from the Host header alone (not the connection's address).</summary>
    private static (string Issuer, bool FromHeader) Derive(HttpContext context)
    {
        var request = context.Request;
        // HTTP/1.0 may omit Host, and a malformed one (e.g. bad punycode) cannot be encoded: use the address the request arrived on.
        string host;
        var fromHeader = false;
        try
        {
            fromHeader = request.Host.HasValue;
            host = fromHeader ? request.Host.ToUriComponent() : LocalAuthority(context);
        }
        catch (ArgumentException)
        {
            fromHeader = false;
            host = LocalAuthority(context);
        }

        return Uri.TryCreate($"{request.Scheme}://{host}{request.PathBase}", UriKind.Absolute, out var uri)
            ? (Canonical(uri), fromHeader)
            : ($"{request.Scheme}://{LocalAuthority(context)}{request.PathBase.ToUriComponent()}", false);
    }

    private static string LocalAuthority(HttpContext context)
    {
        var address = context.Connection.LocalIpAddress ?? System.Net.IPAddress.Loopback;
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return context.Connection.LocalPort > 0 ? $"{host}:{context.Connection.LocalPort}" : host;
    }

    /// <summary>
    /// Cache-Control for metadata documents: cacheable by anyone when the issuer is configured; when it is derived from
    /// the request's Host, only by the client, so a shared cache cannot serve one host's URIs for another (cache poisoning).
    /// </summary>
    public string MetadataCacheControl => _configuredIssuer is null ? "private, max-age=60" : "public, max-age=300";

    /// <summary>An absolute URI under the issuer.</summary>
    public string Under(HttpContext context, PathString path) => Issuer(context) + path.ToUriComponent();

    /// <summary>The canonical URI of a protected resource path (RFC 8707 §2, MCP authorization "canonical server URI").</summary>
    public string Resource(HttpContext context, PathString resourcePath)
    {
        // Asked on every MCP request with the same issuer and path: the last one is kept.
        var issuer = Issuer(context);
        var path = resourcePath.Value ?? "";
        if (_lastResource is { } last && string.Equals(last.Issuer, issuer, StringComparison.Ordinal) && string.Equals(last.Path, path, StringComparison.Ordinal))
        {
            return last.Uri;
        }

        var uri = (issuer + resourcePath.ToUriComponent()).TrimEnd('/');
        _lastResource = new ResourceUri(issuer, path, uri);
        return uri;
    }

    /// <summary>Lower-case scheme and host, default port dropped, no trailing slash, no query or fragment.</summary>
    public static string Canonical(Uri uri)
    {
        var authority = uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";
        if (uri.HostNameType == UriHostNameType.IPv6)
        {
            authority = uri.IsDefaultPort ? $"[{uri.IdnHost.Trim('[', ']')}]" : $"[{uri.IdnHost.Trim('[', ']')}]:{uri.Port}";
        }

        return $"{uri.Scheme.ToLowerInvariant()}://{authority.ToLowerInvariant()}{uri.AbsolutePath.TrimEnd('/')}";
    }

    /// <summary>Canonical form of a resource parameter, or null when it is not an absolute http(s) URI without fragment.</summary>
    public static string? CanonicalResource(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) ||
            value.Contains('#', StringComparison.Ordinal) || !string.IsNullOrEmpty(uri.Query))
        {
            return null;
        }

        return Canonical(uri);
    }
}
