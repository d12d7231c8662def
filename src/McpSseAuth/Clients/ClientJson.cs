using System.Text.Json.Serialization;

namespace McpSseAuth.Clients;

/// <summary>A registered client and what keeps it: its last token, a flow in progress.</summary>
internal sealed record StoredClient(ClientRegistration Client, DateTimeOffset? LastUsedAt, DateTimeOffset? AuthorizingUntil);

/// <summary>How the client store encodes what it keeps.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredClient))]
internal sealed partial class ClientJson : JsonSerializerContext;
