namespace McpSseAuth.Clients;

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

    /// <summary>For a client described by a client ID metadata document: the host that published it (verified by fetching).</summary>
    public string? MetadataDocumentHost { get; init; }

    /// <summary>Configured in <see cref="McpOAuthOptions.Clients"/>: never evicted.</summary>
    public bool IsConfigured { get; init; }

    /// <summary>SHA-256 of a configured client's secret (<c>client_secret_basic</c>, <c>client_secret_post</c>).</summary>
    public byte[]? SecretHash { get; init; }

    /// <summary>A configured client's public keys (<c>private_key_jwt</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<Microsoft.IdentityModel.Tokens.SecurityKey>? AssertionKeys { get; init; }

    /// <summary>Scopes a <c>client_credentials</c> token may carry.</summary>
    public IReadOnlyList<string> ClientCredentialsScopes { get; init; } = [];

    /// <summary>May call the introspection endpoint.</summary>
    public bool MayIntrospect { get; init; }

    /// <summary>
    /// Must use DPoP (RFC 9449 §5.2 <c>dpop_bound_access_tokens</c>, or <see cref="McpOAuthClient.RequireDpop"/>): a token
    /// request without a proof is refused.
    /// </summary>
    public bool DpopBoundAccessTokens { get; init; }

    /// <summary>Holds credentials: it must authenticate at the token, revocation and introspection endpoints.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsConfidential => SecretHash is not null || AssertionKeys is not null;
}
