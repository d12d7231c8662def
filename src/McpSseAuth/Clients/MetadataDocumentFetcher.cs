using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Clients;

/// <summary>
/// Fetches client ID metadata documents without becoming a proxy into the server's network (SSRF): every connection,
/// the first and each redirect hop (same origin only), resolves the host itself and connects only to public addresses (loopback too when
/// <see cref="McpClientMetadataDocumentOptions.AllowLoopback"/> is on), so a name that resolves, or is re-resolved,
/// to a private address gets nowhere. No proxy, no cookies, no decompression; https only; bounded in hops, bytes and time.
/// </summary>
internal sealed class MetadataDocumentFetcher : IDisposable
{
    private const int MaxRedirects = 3;

    // Not public: RFC 1918, CGNAT, loopback, link-local, "this network", IETF protocol assignments, benchmarking,
    // documentation, multicast and reserved (RFC 6890); unique-local, link-local, multicast and documentation for IPv6.
    private static readonly IPNetwork[] BlockedV4 = [.. new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    }.Select(IPNetwork.Parse)];

    // ::/96 covers the unspecified address and the old IPv4-compatible form; NAT64 (both prefixes) and 6to4 embed IPv4
    // addresses that could be private.
    private static readonly IPNetwork[] BlockedV6 = [.. new[] { "::/96", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "100::/64" }.Select(IPNetwork.Parse)];

    private readonly McpClientMetadataDocumentOptions _options;
    private readonly HttpClient _http;

    public MetadataDocumentFetcher(IOptions<McpOAuthOptions> options)
    {
        _options = options.Value.ClientMetadataDocuments;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            // A proxy would open the connection for us, past the address check.
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxResponseHeadersLength = 16,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = ConnectAsync,
        };
        _options.ConfigureHttpHandler?.Invoke(handler);
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("McpSseAuth", "1.0"));
    }

    /// <summary>Whether a connection to <paramref name="address"/> is allowed.</summary>
    public static bool IsAllowedAddress(IPAddress address, bool allowLoopback)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return allowLoopback;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast || address.IsIPv6Teredo)
                && !Array.Exists(BlockedV6, n => n.Contains(address));
        }

        return address.AddressFamily == AddressFamily.InterNetwork && !Array.Exists(BlockedV4, n => n.Contains(address));
    }

    /// <summary>Whether a URL may be fetched at all (each hop): https, or http on a loopback host when loopback is allowed.</summary>
    public bool IsAllowedUrl(Uri url)
        => string.IsNullOrEmpty(url.UserInfo)
           && (url.Scheme == Uri.UriSchemeHttps || (_options.AllowLoopback && url.Scheme == Uri.UriSchemeHttp && RedirectUriRules.IsLoopbackHost(url)));

    /// <summary>The document's bytes and how long it may be cached; or why it could not be had.</summary>
    public async Task<(byte[]? Body, TimeSpan? MaxAge, string? Problem)> FetchAsync(Uri url)
    {
        using var activity = Telemetry.OAuthActivities.Start(Telemetry.OAuthActivities.MetadataDocumentFetch, System.Diagnostics.ActivityKind.Client);
        activity?.SetTag(Telemetry.TelemetryTags.ClientId, url.OriginalString);
        var fetched = await FetchDocumentAsync(url);
        if (fetched.Problem is not null)
        {
            Telemetry.OAuthActivities.Failed("refused");
        }

        return fetched;
    }

    private async Task<(byte[]? Body, TimeSpan? MaxAge, string? Problem)> FetchDocumentAsync(Uri url)
    {
        using var timeout = new CancellationTokenSource(_options.FetchTimeout);
        try
        {
            var current = url;
            for (var hop = 0; hop <= MaxRedirects; hop++)
            {
                if (!IsAllowedUrl(current))
                {
                    return (null, null, hop == 0 ? "is not an https URL" : "redirects to a URL that is not https");
                }

                using var request = new HttpRequestMessage(HttpMethod.Get, current);
                request.Headers.Accept.ParseAdd("application/json");
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    // Same origin only: the client id's host vouches for the document, and a redirect elsewhere (an open
                    // redirect on a trusted host) would let another host speak in its name.
                    current = new Uri(current, location);
                    if (!string.Equals(current.GetLeftPart(UriPartial.Authority), url.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
                    {
                        return (null, null, "redirects to another host");
                    }

                    continue;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return (null, null, $"answered HTTP {(int)response.StatusCode}");
                }

                if (response.Content.Headers.ContentLength > _options.MaxDocumentBytes)
                {
                    return (null, null, $"is larger than {_options.MaxDocumentBytes} bytes");
                }

                var body = await ReadAtMostAsync(await response.Content.ReadAsStreamAsync(timeout.Token), _options.MaxDocumentBytes, timeout.Token);
                if (body is null)
                {
                    return (null, null, $"is larger than {_options.MaxDocumentBytes} bytes");
                }

                var cache = response.Headers.CacheControl;
                return (body, cache is { NoStore: true } or { NoCache: true } ? TimeSpan.Zero : cache?.MaxAge, null);
            }

            return (null, null, "redirects too many times");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (null, null, $"took longer than {_options.FetchTimeout.TotalSeconds:0.#} seconds to fetch");
        }
        catch (HttpRequestException)
        {
            // Refused addresses end here too: the reason is not told to the caller (no probing of the network).
            return (null, null, "could not be fetched");
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = Array.FindAll(addresses, a => IsAllowedAddress(a, _options.AllowLoopback));
        if (allowed.Length == 0)
        {
            throw new HttpRequestException("The host resolves to no public address.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<byte[]?> ReadAtMostAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        await using (stream)
        {
            var buffer = new byte[limit + 1];
            var total = 0;
            int read;
            while (total <= limit && (read = await stream.ReadAsync(buffer.AsMemory(total, limit + 1 - total), cancellationToken)) > 0)
            {
                total += read;
            }

            return total > limit ? null : buffer[..total];
        }
    }

    public void Dispose() => _http.Dispose();
}
