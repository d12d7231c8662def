using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Resources;

/// <summary>
/// The MCP endpoints this app protects and the resource each belongs to. Filled by <c>MapMcpSse</c>:
/// <c>/mcp</c> is its own resource; legacy SSE's <c>/sse</c> and <c>/message</c> share the <c>/sse</c> resource.
/// </summary>
internal sealed class ProtectedResources
{
    private readonly Dictionary<string, PathString> _resourceByPath = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<PathString> _resources = [];
    private readonly Dictionary<PathString, string[]> _scopesByResource = [];
    private readonly Lock _gate = new();

    public void Add(PathString endpointPath, PathString resourcePath)
    {
        lock (_gate)
        {
            _resourceByPath[Normalize(endpointPath)] = resourcePath;
            if (!_resources.Contains(resourcePath))
            {
                _resources.Add(resourcePath);
            }
        }
    }

    /// <summary>Resource paths in mapping order; the first is the default when a client names none.</summary>
    public IReadOnlyList<PathString> Resources
    {
        get
        {
            lock (_gate)
            {
                return [.. _resources];
            }
        }
    }

    /// <summary>Scopes every request to the resource needs (<c>RequireMcpScopes</c>): published and challenged besides the defaults.</summary>
    public void AddScopes(PathString resourcePath, IEnumerable<string> scopes)
    {
        lock (_gate)
        {
            _scopesByResource[resourcePath] = [.. (_scopesByResource.GetValueOrDefault(resourcePath) ?? []).Concat(scopes).Distinct(StringComparer.Ordinal)];
        }
    }

    /// <summary>The scopes a token for the resource needs: the defaults and the resource's own, without <c>offline_access</c>.</summary>
    public string[] ScopesFor(PathString resourcePath, IEnumerable<string> defaults)
    {
        lock (_gate)
        {
            return [.. defaults.Concat(_scopesByResource.GetValueOrDefault(resourcePath) ?? []).Where(s => s != McpOAuthDefaults.OfflineAccessScope).Distinct(StringComparer.Ordinal)];
        }
    }

    public bool TryGetResource(PathString endpointPath, out PathString resourcePath)
    {
        lock (_gate)
        {
            return _resourceByPath.TryGetValue(Normalize(endpointPath), out resourcePath);
        }
    }

    private static string Normalize(PathString path) => (path.Value ?? "/").TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/";
}

/// <summary>Endpoint metadata naming the protected resource an MCP endpoint belongs to.</summary>
/// <param name="ResourcePath">The resource's path under the issuer.</param>
internal sealed record ProtectedResourceMetadataPath(PathString ResourcePath)
{
    /// <summary>The metadata URL a challenge names for the request's endpoint (RFC 9728 §5.1).</summary>
    public static string UriFor(HttpContext context, ServerUris uris, ProtectedResources resources)
        => uris.Issuer(context) + McpOAuthDefaults.ProtectedResourceMetadataPath + Of(context, resources).ToUriComponent();

    /// <summary>The resource of the request's endpoint.</summary>
    public static PathString Of(HttpContext context, ProtectedResources resources)
        => context.GetEndpoint()?.Metadata.GetMetadata<ProtectedResourceMetadataPath>()?.ResourcePath
           ?? (resources.TryGetResource(context.Request.Path, out var known) ? known : context.Request.Path);
}
