using System.Text.Json.Serialization;

namespace McpSseAuth.Sessions;

/// <summary>A relayed message (<see cref="ReplyTo"/> set) or the holder's answer to one.</summary>
internal sealed class RelayMessage
{
    public required string Id { get; init; }
    public string? ReplyTo { get; init; }
    public string? SessionId { get; init; }
    public string? Path { get; init; }
    /// <summary>The scopes of the token the message came with (they may be wider than the opener's, after a step-up).</summary>
    public string? Scope { get; init; }
    public int Status { get; init; }
    public string? ContentType { get; init; }
    public string? RetryAfter { get; init; }
    public byte[]? Body { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SessionHolder))]
[JsonSerializable(typeof(RelayMessage))]
[JsonSerializable(typeof(StreamFrame))]
[JsonSerializable(typeof(string))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;
