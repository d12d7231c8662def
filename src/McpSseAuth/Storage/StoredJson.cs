using System.Text.Json;
using System.Text.Json.Serialization;

namespace McpSseAuth.Storage;

/// <summary>
/// How the stores name and encode what they keep in <see cref="IMcpOAuthStorage"/>. Each part that stores records owns them
/// and their source-generated <see cref="JsonSerializerContext"/>, passed in here.
/// </summary>
internal static class StoredJson
{
    /// <summary>A key of one kind: its parts escaped, so a subject or client id holding ':' cannot reach another key.</summary>
    public static string Key(string kind, params ReadOnlySpan<string> parts)
    {
        var key = new System.Text.StringBuilder(kind);
        foreach (var part in parts)
        {
            key.Append(':').Append(Uri.EscapeDataString(part));
        }

        return key.ToString();
    }

    public static byte[] Encode<T>(JsonSerializerContext json, T value) => JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), json);

    public static T Decode<T>(JsonSerializerContext json, ReadOnlyMemory<byte> value)
        => (T)(JsonSerializer.Deserialize(value.Span, typeof(T), json)
               ?? throw new InvalidOperationException($"A stored {typeof(T).Name} is empty."));

    public static T? Decode<T>(JsonSerializerContext json, McpStoredEntry? entry) where T : class => entry is null ? null : Decode<T>(json, entry.Value);

    /// <summary>
    /// Changes a stored value by compare-and-swap, retried when another writer (another instance) changed it in between.
    /// <paramref name="change"/> returns null to leave it; false when there is nothing live to change.
    /// </summary>
    /// <param name="json">The part's serializer context, which knows <typeparamref name="T"/>.</param>
    /// <param name="storage">Where the value is.</param>
    /// <param name="key">Its key.</param>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <param name="decoded">The store's decoded values, to skip decoding bytes it decoded before; null decodes every time.</param>
    public static async ValueTask<bool> UpdateAsync<T>(JsonSerializerContext json, IMcpOAuthStorage storage, string key, Func<T, (T Value, DateTimeOffset ExpiresAt)?> change, CancellationToken cancellationToken, DecodedEntries<T>? decoded = null)
        where T : class
    {
        // The value as this store last read or wrote it is usually still the stored one (a client read at the start of
        // the request, then changed twice in a flow): swapped without reading it again. Changed since, the swap fails and
        // the update reads it below. A change that looks unneeded on it is decided on a fresh read.
        if (decoded is not null && decoded.TryLastSeen(key, out var seenBytes, out var seen) && change(seen) is { } early
            && await TryReplaceAsync(early, seenBytes))
        {
            return true;
        }

        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await storage.GetAsync(key, cancellationToken) is not { } entry)
            {
                return false;
            }

            if (change(decoded is null ? Decode<T>(json, entry.Value) : decoded.Decode(key, entry.Value)) is not { } changed)
            {
                return true;
            }

            if (await TryReplaceAsync(changed, entry.Value))
            {
                return true;
            }
        }

        throw new McpStorageUnavailableException($"The stored entry {key.Split(':')[0]} kept changing under an update; try again.");

        async ValueTask<bool> TryReplaceAsync((T Value, DateTimeOffset ExpiresAt) changed, ReadOnlyMemory<byte> expected)
        {
            var bytes = Encode(json, changed.Value);
            if (!await storage.TryReplaceAsync(key, expected, bytes, changed.ExpiresAt, cancellationToken))
            {
                return false;
            }

            decoded?.Wrote(key, bytes, changed.Value);
            return true;
        }
    }
}
