using McpSseAuth.Keys;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Discovery;

/// <summary>
/// The JSON Web Key Set (RFC 7517 §5): the public half of every key that verifies now (the one that signs, the next one
/// ahead of use, retired ones until their tokens expire), each with kid, use and alg.
/// </summary>
internal sealed class JwksEndpoint(SigningKeys keys, ServerUris uris)
{
    public Task HandleAsync(HttpContext context)
    {
        var document = new Dictionary<string, object>(StringComparer.Ordinal) { ["keys"] = keys.PublicJwks.ToArray<object>() };
        context.Response.Headers.CacheControl = uris.MetadataCacheControl;
        return context.Response.WriteAsJsonAsync(document, Http.OAuthJsonContext.Default.DictionaryStringObject, contentType: "application/json", context.RequestAborted);
    }
}
