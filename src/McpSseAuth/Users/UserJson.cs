using System.Text.Json.Serialization;

namespace McpSseAuth.Users;

/// <summary>How the user status encodes what it remembers of upstream users.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UpstreamIdentity))]
[JsonSerializable(typeof(KnownUser))]
internal sealed partial class UserJson : JsonSerializerContext;
