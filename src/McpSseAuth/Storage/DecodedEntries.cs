using System.Text.Json.Serialization;

namespace McpSseAuth.Storage;

/// <summary>
/// The last values a store decoded from <see cref="IMcpOAuthStorage"/>, so an entry read again unchanged (a client on each
/// of its requests, a consent checked twice per token) is not decoded again. A value is reused only for the same key and
/// bytes identical to those it was decoded from, so the result is always what decoding them would give; anything else is
/// decoded and replaces it. Direct-mapped on the key's hash: at most <see cref="Slots"/> values, whatever the traffic.
/// Values are immutable records, shared by the requests that read them.
/// </summary>
internal sealed class DecodedEntries<T>(JsonSerializerContext json)
    where T : class
{
    /// <summary>How many values are kept at most.</summary>
    public const int Slots = 1024;

    private readonly Slot?[] _slots = new Slot?[Slots];

    /// <summary>What <paramref name="value"/>, read at <paramref name="key"/>, decodes to.</summary>
    public T Decode(string key, ReadOnlyMemory<byte> value)
    {
        var index = Index(key);
        // One reference read: a slot is replaced whole, never changed.
        if (Volatile.Read(ref _slots[index]) is { } slot && string.Equals(slot.Key, key, StringComparison.Ordinal) && slot.Bytes.AsSpan().SequenceEqual(value.Span))
        {
            return slot.Value;
        }

        var decoded = StoredJson.Decode<T>(json, value);
        Volatile.Write(ref _slots[index], new Slot(key, value.ToArray(), decoded));
        return decoded;
    }

    /// <summary>
    /// The value last decoded at <paramref name="key"/>, without reading the storage: what it held when last read, which
    /// may have changed since. For decisions that only need a value at least that recent.
    /// </summary>
    public T? LastSeen(string key) => TryLastSeen(key, out _, out var value) ? value : null;

    /// <summary>
    /// The bytes and value last seen at <paramref name="key"/> (read, or written by <see cref="Wrote"/>): the expected
    /// value of a compare-and-swap that skips reading it again, which fails, harmlessly, if it changed since.
    /// </summary>
    public bool TryLastSeen(string key, out ReadOnlyMemory<byte> bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value)
    {
        if (Volatile.Read(ref _slots[Index(key)]) is { } slot && string.Equals(slot.Key, key, StringComparison.Ordinal))
        {
            (bytes, value) = (slot.Bytes, slot.Value);
            return true;
        }

        (bytes, value) = (default, null);
        return false;
    }

    /// <summary>Keeps what the store has just written at <paramref name="key"/>, as if it had read it.</summary>
    public void Wrote(string key, byte[] bytes, T value)
        => Volatile.Write(ref _slots[Index(key)], new Slot(key, bytes, value));

    /// <inheritdoc cref="Decode(string, ReadOnlyMemory{byte})"/>
    public T? Decode(string key, McpStoredEntry? entry) => entry is null ? null : Decode(key, entry.Value);

    private static int Index(string key) => (int)((uint)key.GetHashCode() & (Slots - 1));

    private sealed record Slot(string Key, byte[] Bytes, T Value);
}
