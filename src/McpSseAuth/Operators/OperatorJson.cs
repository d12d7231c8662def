using System.Text.Json.Serialization;

namespace McpSseAuth.Operators;

/// <summary>A user in the operator's view: who, how and when they last signed in (null when not recorded), live sessions here.</summary>
internal sealed record OperatorUser(string Subject, string Name, string? Method, DateTimeOffset? LastSignInAt, int LiveSessions);

/// <summary>A live grant of a user, with the client's name when known.</summary>
internal sealed record OperatorGrant(
    string GrantId,
    string ClientId,
    string? ClientName,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Resources,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUsedAt,
    DateTimeOffset ExpiresAt);

/// <summary>A live MCP session on this instance.</summary>
internal sealed record OperatorSession(string SessionId, string Transport, string ClientId, string? GrantId, DateTimeOffset CreatedAt, DateTimeOffset LastActivityAt);

/// <summary>One user with everything they hold.</summary>
internal sealed record OperatorUserDetail(OperatorUser User, IReadOnlyList<OperatorGrant> Grants, IReadOnlyList<OperatorSession> Sessions);

/// <summary>A client: <c>configured</c> (McpOAuthOptions.Clients) or <c>registered</c> (RFC 7591), with its last use when tracked.</summary>
internal sealed record OperatorClient(string ClientId, string? ClientName, string Kind, IReadOnlyList<string> RedirectUris, DateTimeOffset? RegisteredAt, DateTimeOffset? LastUsedAt);

/// <summary>The answer of a revocation through the API.</summary>
internal sealed record OperatorRevocation(int GrantsRevoked, int ConsentsForgotten, int SessionsEnded);

/// <summary>The operator API's JSON, in snake_case like the rest of OAuth.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IReadOnlyList<OperatorUser>))]
[JsonSerializable(typeof(OperatorUserDetail))]
[JsonSerializable(typeof(IReadOnlyList<OperatorClient>))]
[JsonSerializable(typeof(OperatorRevocation))]
internal sealed partial class OperatorJson : JsonSerializerContext;
