using Microsoft.AspNetCore.Http;
using McpSseAuth.Tokens;

namespace McpSseAuth.Discovery;

/// <summary>The JSON Web Key Set (RFC 7517 §5) with the public signing keys.</summary>
internal sealed class JwksEndpoint(SigningKeys keys, ServerUris uris)
{
    public Task HandleAsync(HttpContext context)
    {
        var document = new Dictionary<string, object>(StringComparer.Ordinal) { ["keys"] = new object[] { keys.PublicJwk } };
        context.Response.Headers.CacheControl = uris.MetadataCacheControl;
        return context.Response.WriteAsJsonAsync(document, Http.OAuthJsonContext.Default.DictionaryStringObject, contentType: "application/json", context.RequestAborted);
    }
}
