namespace McpSseAuth.Grants;

/// <summary>
/// What a user allowed a client: asked again when the client wants more scopes or resources, or another redirect URI.
/// </summary>
internal sealed record Consent
{
    public required string Subject { get; init; }
    public required string ClientId { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required IReadOnlyList<string> Resources { get; init; }
    public required IReadOnlyList<string> RedirectUris { get; init; }
    public required DateTimeOffset GrantedAt { get; init; }
}
