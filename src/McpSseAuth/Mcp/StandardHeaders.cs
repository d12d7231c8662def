using System.Text;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Mcp;

/// <summary>
/// The method and target a request of protocol revision 2026-07-28 or later names in its <c>Mcp-Method</c> and
/// <c>Mcp-Name</c> headers (MCP 2026-07-28, Streamable HTTP, "Standard Request Headers", SEP-2243). A server that processes
/// the body must refuse a request whose headers disagree with it (400, JSON-RPC -32020 <c>HeaderMismatch</c>, "Server
/// Validation"); the SDK does, before anything is dispatched, and inside it the scope filters check the primitive actually
/// called. So the scope decision of such a request rests on its headers and its body is not read for it. Older revisions
/// define no such headers, and a missing or unreadable one decides nothing: null, and the body decides.
/// </summary>
internal static class StandardHeaders
{
    /// <summary>The first revision whose requests carry the headers; revisions are dates, so later ones sort after it.</summary>
    public const string FirstRevision = "2026-07-28";

    private const string EncodedPrefix = "=?base64?";
    private const string EncodedSuffix = "?=";

    /// <summary>Whether the request is of revision 2026-07-28 or later (its <c>MCP-Protocol-Version</c> header).</summary>
    public static bool OfRevisionWithHeaders(HttpRequest request)
    {
        var version = request.Headers["MCP-Protocol-Version"];
        return version.Count == 1 && version[0] is { Length: 10 } revision && string.CompareOrdinal(revision, FirstRevision) >= 0;
    }

    public static PeekTarget? Read(HttpRequest request)
    {
        if (!OfRevisionWithHeaders(request))
        {
            return null;
        }

        var methods = request.Headers["Mcp-Method"];
        if (methods.Count != 1 || methods[0]?.Trim() is not { Length: > 0 } method)
        {
            return null;
        }

        if (method is not (RequestMethods.ToolsCall or RequestMethods.PromptsGet or RequestMethods.ResourcesRead))
        {
            return new PeekTarget(true, method, null);
        }

        var names = request.Headers["Mcp-Name"];
        return names.Count == 1 && names[0] is { } name && Decode(name.Trim()) is { } target ? new PeekTarget(true, method, target) : null;
    }

    /// <summary>A header value as sent (visible ASCII and spaces), or its Base64 form (<c>=?base64?…?=</c>, "Value Encoding") decoded; null when neither.</summary>
    public static string? Decode(string value)
    {
        if (value.StartsWith(EncodedPrefix, StringComparison.Ordinal) && value.EndsWith(EncodedSuffix, StringComparison.Ordinal)
            && value.Length >= EncodedPrefix.Length + EncodedSuffix.Length)
        {
            var encoded = value[EncodedPrefix.Length..^EncodedSuffix.Length];
            var bytes = new byte[encoded.Length];
            if (!Convert.TryFromBase64String(encoded, bytes, out var length))
            {
                return null;
            }

            try
            {
                return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }

        foreach (var c in value)
        {
            if (c is not (' ' or '\t') && c is < (char)0x21 or > (char)0x7E)
            {
                return null;
            }
        }

        return value;
    }
}
