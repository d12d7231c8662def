using System.Text.Json;
using System.Text.Json.Serialization;
using McpSseAuth.Storage;

namespace McpSseAuth.Stores;

/// <summary>How the stores name and encode what they keep in <see cref="IMcpOAuthStorage"/>.</summary>
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

    public static byte[] Encode<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), StoredJsonContext.Default);

    public static T Decode<T>(ReadOnlyMemory<byte> value)
        => (T)(JsonSerializer.Deserialize(value.Span, typeof(T), StoredJsonContext.Default)
               ?? throw new InvalidOperationException($"A stored {typeof(T).Name} is empty."));

    public static T? Decode<T>(McpStoredEntry? entry) where T : class => entry is null ? null : Decode<T>(entry.Value);

    /// <summary>
    /// Changes a stored value by compare-and-swap, retried when another writer (another instance) changed it in between.
    /// <paramref name="change"/> returns null to leave it; false when there is nothing live to change.
    /// </summary>
    /// <param name="storage">Where the value is.</param>
    /// <param name="key">Its key.</param>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <param name="decoded">The store's decoded values, to skip decoding bytes it decoded before; null decodes every time.</param>
    public static async ValueTask<bool> UpdateAsync<T>(IMcpOAuthStorage storage, string key, Func<T, (T Value, DateTimeOffset ExpiresAt)?> change, CancellationToken cancellationToken, DecodedEntries<T>? decoded = null)
        where T : class
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await storage.GetAsync(key, cancellationToken) is not { } entry)
            {
                return false;
            }

            if (change(decoded is null ? Decode<T>(entry.Value) : decoded.Decode(key, entry.Value)) is not { } changed)
            {
                return true;
            }

            if (await storage.TryReplaceAsync(key, entry.Value, Encode(changed.Value), changed.ExpiresAt, cancellationToken))
            {
                return true;
            }
        }

        throw new McpStorageUnavailableException($"The stored entry {key.Split(':')[0]} kept changing under an update; try again.");
    }
}

/// <summary>A registered client and what keeps it: its last token, a flow in progress.</summary>
internal sealed record StoredClient(ClientRegistration Client, DateTimeOffset? LastUsedAt, DateTimeOffset? AuthorizingUntil);

/// <summary>When a user was signed out everywhere, and how long that is remembered.</summary>
internal sealed record StoredSignOut(DateTimeOffset At, DateTimeOffset KeepUntil);

/// <summary>A stored secret of a user, under its slot.</summary>
internal sealed record StoredSecret(string Slot, string ProtectedValue);

/// <summary>The signing key ring, private keys included, as kept in a shared storage.</summary>
internal sealed record StoredKeyRing(int Version, IReadOnlyList<StoredKeyRingEntry> Keys);

internal sealed record StoredKeyRingEntry(string Kid, string Alg, string Pem, DateTimeOffset Created, DateTimeOffset Activates, DateTimeOffset Retires);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredClient))]
[JsonSerializable(typeof(AuthorizationCode))]
[JsonSerializable(typeof(RefreshToken))]
[JsonSerializable(typeof(PendingAuthorization))]
[JsonSerializable(typeof(Consent))]
[JsonSerializable(typeof(GrantRecord))]
[JsonSerializable(typeof(StoredSignOut))]
[JsonSerializable(typeof(StoredSecret))]
[JsonSerializable(typeof(StoredKeyRing))]
[JsonSerializable(typeof(Identity.UpstreamIdentity))]
[JsonSerializable(typeof(string))]
internal sealed partial class StoredJsonContext : JsonSerializerContext;
