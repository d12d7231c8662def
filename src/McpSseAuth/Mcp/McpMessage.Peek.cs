using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Mcp;

/// <summary>Reading the body without consuming it: only the method and target for a scope decision, in the request's pipe when it is small.</summary>
internal sealed partial record McpMessage
{
    /// <summary>
    /// Only what a scope decision needs — a request's <c>method</c> and its <c>params.name</c> (tools, prompts) or
    /// <c>params.uri</c> (resources) — read from the body with a forward-only reader, nothing built, and the body rewound for
    /// the SDK. Not <see cref="PeekTarget.Clear"/> when the body names any of these twice or in another letter case, or is
    /// not one JSON object: the caller then decides on <see cref="PeekAsync"/>, the SDK's own reading, so the two can never
    /// disagree about what is called.
    /// </summary>
    public static ValueTask<PeekTarget> PeekTargetAsync(HttpContext context)
        => context.Request.ContentLength is { } length && length <= PipePeekBytes ? PeekInPipeAsync(context) : PeekBufferedAsync(context);

    /// <summary>
    /// Bodies up to this size (a tool call is usually well under 1 KiB) are peeked in the request's pipe. The pipe only holds
    /// what fits below the server's own request buffer (Kestrel: 1 MiB per connection, 768 KiB per HTTP/2 stream), so larger
    /// ones, and those of unknown length, are buffered, as <see cref="Microsoft.AspNetCore.Http.HttpRequestRewindExtensions.EnableBuffering(HttpRequest)"/> does.
    /// </summary>
    private const long PipePeekBytes = 64 * 1024;

    private static ValueTask<PeekTarget> PeekInPipeAsync(HttpContext context) => InPipeAsync(context, static body => ScanTarget(body));

    /// <summary>
    /// <paramref name="read"/> of the whole body, read through the request's pipe and left there unconsumed: no copy of the
    /// body and no buffering stream. The body stream then reads from that pipe, on any server, so the SDK (and a second
    /// look here) sees the whole message.
    /// </summary>
    private static async ValueTask<T> InPipeAsync<T>(HttpContext context, Func<System.Buffers.ReadOnlySequence<byte>, T> read)
    {
        var reader = context.Request.BodyReader;
        var result = await reader.ReadAsync(context.RequestAborted);
        while (!result.IsCompleted && !result.IsCanceled)
        {
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await reader.ReadAsync(context.RequestAborted);
        }

        try
        {
            return read(result.Buffer);
        }
        finally
        {
            reader.AdvanceTo(result.Buffer.Start);
            context.Request.Body = reader.AsStream(leaveOpen: true);
        }
    }

    private static async ValueTask<PeekTarget> PeekBufferedAsync(HttpContext context)
    {
        context.Request.EnableBuffering();
        var body = context.Request.Body;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length), context.RequestAborted)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return ScanTarget(new System.Buffers.ReadOnlySequence<byte>(buffer, 0, length));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            body.Position = 0;
        }
    }

    private static PeekTarget ScanTarget(in System.Buffers.ReadOnlySequence<byte> json)
    {
        string? method = null, name = null, uri = null;
        int methods = 0, parameters = 0, names = 0, uris = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return PeekTarget.Unclear;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (Names(ref reader, "method", ref methods))
                {
                    reader.Read();
                    method = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (Names(ref reader, "params", ref parameters) && reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isName = Names(ref reader, "name", ref names);
                        var isUri = !isName && Names(ref reader, "uri", ref uris);
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String && (isName || isUri))
                        {
                            (isName ? ref name : ref uri) = reader.GetString();
                        }

                        reader.Skip();
                    }
                }
                else
                {
                    if (reader.TokenType == JsonTokenType.PropertyName)
                    {
                        reader.Read();
                    }

                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return PeekTarget.Unclear;
            }
        }
        catch (JsonException)
        {
            return PeekTarget.Unclear;
        }

        // The same name twice: JSON leaves the meaning to the reader (RFC 8259 §4), so the message is refused.
        if (methods == 2 || parameters == 2 || names == 2 || uris == 2)
        {
            return PeekTarget.Duplicate;
        }

        return methods > 1 || parameters > 1 || names > 1 || uris > 1
            ? PeekTarget.Unclear
            : new PeekTarget(true, method, method == RequestMethods.ResourcesRead ? uri : name);
    }

    /// <summary>
    /// Whether the property under the reader is <paramref name="expected"/> (counted once); any spelling of it in another
    /// letter case counts three times, so that it makes the body unclear rather than a duplicate.
    /// </summary>
    private static bool Names(ref Utf8JsonReader reader, string expected, ref int seen)
    {
        if (reader.ValueTextEquals(expected))
        {
            seen++;
            return true;
        }

        // Plain ASCII, as every real name is: compared in place. Escaped or other text: decoded first.
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && System.Text.Ascii.IsValid(reader.ValueSpan))
        {
            if (reader.ValueSpan.Length == expected.Length && System.Text.Ascii.EqualsIgnoreCase(reader.ValueSpan, expected))
            {
                seen += 3;
            }
        }
        else if (string.Equals(reader.GetString(), expected, StringComparison.OrdinalIgnoreCase))
        {
            seen += 3;
        }

        return false;
    }
}

/// <summary>
/// What <see cref="McpMessage.PeekTargetAsync"/> read: <see cref="Clear"/> false when the body must be read whole to decide,
/// <see cref="Repeats"/> when it names its method, params or target twice.
/// </summary>
internal readonly record struct PeekTarget(bool Clear, string? Method, string? Target, bool Repeats = false)
{
    public static PeekTarget Unclear => new(false, null, null);

    public static PeekTarget Duplicate => new(false, null, null, Repeats: true);
}
