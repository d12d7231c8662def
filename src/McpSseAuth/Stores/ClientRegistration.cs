namespace McpSseAuth.Stores;

/// <summary>A registered OAuth client (RFC 7591 §2 metadata that this server keeps).</summary>
internal sealed record ClientRegistration
{
    public required string ClientId { get; init; }
    public string? ClientName { get; init; }
    public string? ClientUri { get; init; }
    public required IReadOnlyList<string> RedirectUris { get; init; }
    public required IReadOnlyList<string> GrantTypes { get; init; }
    public required IReadOnlyList<string> ResponseTypes { get; init; }
    public required string TokenEndpointAuthMethod { get; init; }
    public string? ApplicationType { get; init; }
    public string? Scope { get; init; }
    public string? SoftwareId { get; init; }
    public string? SoftwareVersion { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
}
