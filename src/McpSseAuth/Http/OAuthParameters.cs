using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace McpSseAuth.Http;

/// <summary>
/// The parameters of an OAuth request, read from the query or an urlencoded form, with RFC 6749 §3.1's
/// rule that a parameter must not appear more than once, and bounded in size.
/// </summary>
internal sealed class OAuthParameters
{
    public const int MaxBodyBytes = 64 * 1024;
    private const int MaxValueLength = 8 * 1024;
    private const int MaxParameterCount = 64;

    private readonly Dictionary<string, string> _values;

    private OAuthParameters(Dictionary<string, string> values) => _values = values;

    public string? this[string name] => _values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public static bool TryFromQuery(IQueryCollection query, [NotNullWhen(true)] out OAuthParameters? parameters, [NotNullWhen(false)] out OAuthError? error)
        => TryCreate(query, out parameters, out error);

    /// <summary>Reads an <c>application/x-www-form-urlencoded</c> body, refusing other media types and oversized bodies.</summary>
    public static async Task<(OAuthParameters? Parameters, OAuthError? Error)> ReadFormAsync(HttpContext context)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            !mediaType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, OAuthError.UnsupportedMediaType("The request body must be application/x-www-form-urlencoded."));
        }

        // RFC 6749 Appendix B: UTF-8. Other charsets are refused rather than decoded differently (UTF-7 would even throw).
        if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return (null, OAuthError.UnsupportedMediaType("The request body must be UTF-8 encoded."));
        }

        if (RequestBodyLimit.Apply(context, MaxBodyBytes) is { } tooLarge)
        {
            return (null, tooLarge);
        }

        context.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
        {
            ValueCountLimit = MaxParameterCount,
            // The reader counts encoded bytes (%2F is three); the decoded value is held to MaxValueLength below.
            ValueLengthLimit = MaxValueLength * 3,
            KeyLengthLimit = 256,
            BufferBody = false,
        }));

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException or NotSupportedException or DecoderFallbackException)
        {
            return (null, OAuthError.InvalidRequest("The request body is malformed or exceeds the size limits."));
        }

        return TryCreate(form, out var parameters, out var error) ? (parameters, null) : (null, error);
    }

    private static bool TryCreate(IEnumerable<KeyValuePair<string, StringValues>> source, [NotNullWhen(true)] out OAuthParameters? parameters, [NotNullWhen(false)] out OAuthError? error)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in source)
        {
            if (values.Count >= MaxParameterCount)
            {
                parameters = null;
                error = OAuthError.InvalidRequest($"The request has more than {MaxParameterCount} parameters.");
                return false;
            }

            if (value.Count > 1)
            {
                parameters = null;
                error = OAuthError.InvalidRequest($"The '{Truncate(key)}' parameter must not be included more than once.");
                return false;
            }

            var single = value.ToString();
            if (single.Length > MaxValueLength)
            {
                parameters = null;
                error = OAuthError.InvalidRequest($"The '{Truncate(key)}' parameter is too long.");
                return false;
            }

            values[key] = single;
        }

        parameters = new OAuthParameters(values);
        error = null;
        return true;
    }

    private static string Truncate(string key) => key.Length <= 40 ? key : key[..40];
}
