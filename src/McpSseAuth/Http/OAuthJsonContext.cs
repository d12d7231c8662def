using System.Text.Json;
using System.Text.Json.Serialization;

namespace McpSseAuth.Http;

[JsonSerializable(typeof(OAuthError.Body), TypeInfoPropertyName = "OAuthErrorBody")]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
internal sealed partial class OAuthJsonContext : JsonSerializerContext;
