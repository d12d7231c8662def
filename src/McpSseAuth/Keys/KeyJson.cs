using System.Text.Json.Serialization;

namespace McpSseAuth.Keys;

/// <summary>The signing key ring, private keys included, as kept in a shared storage.</summary>
internal sealed record StoredKeyRing(int Version, IReadOnlyList<StoredKeyRingEntry> Keys);

/// <summary>One key of <see cref="StoredKeyRing"/>.</summary>
internal sealed record StoredKeyRingEntry(string Kid, string Alg, string Pem, DateTimeOffset Created, DateTimeOffset Activates, DateTimeOffset Retires);

/// <summary>How the storage-backed key store encodes the ring.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredKeyRing))]
internal sealed partial class KeyJson : JsonSerializerContext;
