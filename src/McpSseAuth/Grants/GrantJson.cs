using System.Text.Json.Serialization;

namespace McpSseAuth.Grants;

/// <summary>When a user was signed out everywhere, and how long that is remembered.</summary>
internal sealed record StoredSignOut(DateTimeOffset At, DateTimeOffset KeepUntil);

/// <summary>How the grant and consent stores encode what they keep.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuthorizationCode))]
[JsonSerializable(typeof(RefreshToken))]
[JsonSerializable(typeof(PendingAuthorization))]
[JsonSerializable(typeof(Consent))]
[JsonSerializable(typeof(GrantRecord))]
[JsonSerializable(typeof(StoredSignOut))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(RotationAnswer))]
internal sealed partial class GrantJson : JsonSerializerContext;
