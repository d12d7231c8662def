using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Clients;

/// <summary>
/// Client ID Metadata Documents (MCP 2025-11-25, draft-ietf-oauth-client-id-metadata-document): a <c>client_id</c> that
/// is an https URL names a JSON document at that URL describing the client. Its <c>client_id</c> must equal the URL
/// exactly; it needs <c>client_name</c> and <c>redirect_uris</c>, checked like a registration. Documents, and failures to
/// get one, are cached (per Cache-Control, within the configured bounds; concurrent lookups of one URL fetch once).
/// </summary>
internal sealed class ClientMetadataDocuments(
    MetadataDocumentFetcher fetcher,
    ClientMetadata metadata,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    ILogger<ClientMetadataDocuments> logger) : IDisposable
{
    private const int MaxClientIdLength = 2000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    // Outbound fetches in all, whoever asks: a flood of made-up URL client ids cannot turn the server into a fetcher.
    private readonly System.Threading.RateLimiting.PartitionedRateLimiter<string> _fetches = Http.RateLimits.PerKey(120, TimeSpan.FromMinutes(1));
    private readonly ConcurrentDictionary<string, Lazy<Task<Entry>>> _fetching = new(StringComparer.Ordinal);

    private const string NotAccepted = "This server does not accept client ID metadata documents: the application must register.";

    private sealed record Entry(ClientRegistration? Client, string? Problem, DateTimeOffset Until);

    /// <summary>Whether the client id is a URL, so a document describes it (a registered id never is).</summary>
    public static bool IsDocumentClientId(string clientId)
        => clientId.StartsWith("https://", StringComparison.Ordinal) || clientId.StartsWith("http://", StringComparison.Ordinal);

    public async Task<(ClientRegistration? Client, string? Problem)> ResolveAsync(string clientId)
    {
        if (!options.Value.ClientMetadataDocuments.Enabled)
        {
            return (null, NotAccepted);
        }

        if (_cache.TryGetValue(clientId, out Entry? cached) && cached!.Until > time.GetUtcNow())
        {
            return (cached.Client, cached.Problem);
        }

        var fetching = _fetching.GetOrAdd(clientId, id => new Lazy<Task<Entry>>(() => LoadAsync(id)));
        try
        {
            var entry = await fetching.Value;
            return (entry.Client, entry.Problem);
        }
        finally
        {
            _fetching.TryRemove(new KeyValuePair<string, Lazy<Task<Entry>>>(clientId, fetching));
        }
    }

    /// <summary>Why the last lookup of this client id found no client, for the page or error that says so.</summary>
    public string? ProblemFor(string clientId)
        => !options.Value.ClientMetadataDocuments.Enabled ? NotAccepted
            : _cache.TryGetValue(clientId, out Entry? cached) ? cached!.Problem : null;

    private async Task<Entry> LoadAsync(string clientId)
    {
        var o = options.Value.ClientMetadataDocuments;
        var (client, problem, maxAge) = await FetchAndCheckAsync(clientId, o);
        if (problem is not null)
        {
            Log.ClientMetadataDocumentRefused(logger, Log.Short(clientId)!, problem);
        }

        var keep = maxAge is { } age ? (age < o.MinCacheDuration ? o.MinCacheDuration : age > o.MaxCacheDuration ? o.MaxCacheDuration : age) : o.MinCacheDuration;
        var entry = new Entry(client, problem, time.GetUtcNow() + keep);
        _cache.Set(clientId, entry, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = o.MaxCacheDuration });
        return entry;
    }

    private async Task<(ClientRegistration? Client, string? Problem, TimeSpan? MaxAge)> FetchAndCheckAsync(string clientId, McpClientMetadataDocumentOptions o)
    {
        if (ShapeProblem(clientId, o) is { } shape)
        {
            return (null, "The client_id URL " + shape + ".", null);
        }

        var url = new Uri(clientId);
        using (var lease = _fetches.AttemptAcquire("all"))
        {
            if (!lease.IsAcquired)
            {
                return (null, "The server is fetching too many client metadata documents right now; retry in a minute.", null);
            }
        }

        var (body, maxAge, fetchProblem) = await fetcher.FetchAsync(url);
        if (fetchProblem is not null)
        {
            return (null, "The client's metadata document " + fetchProblem + ".", null);
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "The client's metadata document is not a JSON object.", null);
            }

            if (!root.TryGetProperty("client_id", out var declared) || declared.ValueKind != JsonValueKind.String
                || !ClientMetadata.TryGetText(declared, out var declaredId) || !string.Equals(declaredId, clientId, StringComparison.Ordinal))
            {
                return (null, "The client's metadata document does not name itself: its client_id must equal its URL exactly.", null);
            }

            if (!root.TryGetProperty("client_name", out var name) || name.ValueKind != JsonValueKind.String || !ClientMetadata.TryGetText(name, out var nameText) || nameText!.Length == 0)
            {
                return (null, "The client's metadata document has no client_name.", null);
            }

            if (!metadata.TryParse(root, clientId, describedByDocument: true, out var client, out var error))
            {
                return (null, "The client's metadata document is not acceptable: " + error.Description, null);
            }

            return (client with { MetadataDocumentHost = url.IdnHost }, null, maxAge);
        }
        catch (JsonException)
        {
            return (null, "The client's metadata document is not valid JSON, or names a member twice.", null);
        }
    }

    /// <summary>What the URL itself must be (the draft's §3): https with a path, no fragment, credentials or dot segments.</summary>
    private string? ShapeProblem(string clientId, McpClientMetadataDocumentOptions o)
    {
        if (clientId.Length > MaxClientIdLength || !RedirectUriRules.IsPrintableAscii(clientId) || !Uri.TryCreate(clientId, UriKind.Absolute, out var url))
        {
            return "is not a valid URL";
        }

        if (!fetcher.IsAllowedUrl(url))
        {
            return "must use https";
        }

        if (clientId.Contains('#', StringComparison.Ordinal) || !string.IsNullOrEmpty(url.UserInfo))
        {
            return "must have no fragment and no user name or password";
        }

        var path = clientId[(clientId.IndexOf("//", StringComparison.Ordinal) + 2)..];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        path = slash < 0 ? "" : path[slash..].Split('?')[0];
        if (path.Length <= 1 || path.Split('/').Any(segment => segment is "." or ".."))
        {
            return "must have a path, without . or .. segments";
        }

        if (o.AllowedHosts.Count > 0 && !RedirectUriRules.HostMatches(url, o.AllowedHosts))
        {
            return "names a host this server does not accept clients from";
        }

        return null;
    }

    public void Dispose()
    {
        _cache.Dispose();
        _fetches.Dispose();
    }
}
