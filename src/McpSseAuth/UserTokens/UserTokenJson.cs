using System.Text.Json.Serialization;

namespace McpSseAuth.UserTokens;

/// <summary>A stored secret of a user, under its slot.</summary>
internal sealed record StoredSecret(string Slot, string ProtectedValue);

/// <summary>How the user secret store encodes what it keeps.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredSecret))]
internal sealed partial class UserTokenJson : JsonSerializerContext;
