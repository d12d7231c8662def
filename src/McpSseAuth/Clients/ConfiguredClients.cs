using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Clients;

/// <summary>
/// The clients of <see cref="McpOAuthOptions.Clients"/>, as registrations: looked up before the registered clients, never
/// evicted. Secrets are kept only as SHA-256; JWKS are parsed once. Options are validated at startup, so what reaches here
/// is well-formed.
/// </summary>
internal sealed class ConfiguredClients(IOptions<McpOAuthOptions> options, TimeProvider time)
{
    public const string ClientCredentials = "client_credentials";

    private readonly Lazy<IReadOnlyDictionary<string, ClientRegistration>> _clients = new(() => Build(options.Value, time.GetUtcNow()));

    /// <summary>Every configured client.</summary>
    public IEnumerable<ClientRegistration> All => _clients.Value.Values;

    public ClientRegistration? Find(string clientId) => _clients.Value.TryGetValue(clientId, out var client) ? client : null;

    public bool AnyConfidential => _clients.Value.Values.Any(c => c.IsConfidential);

    public bool AnyClientCredentials => _clients.Value.Values.Any(c => c.GrantTypes.Contains(ClientCredentials, StringComparer.Ordinal));

    public bool AnyPrivateKeyJwt => _clients.Value.Values.Any(c => c.AssertionKeys is not null);

    public bool AnySecret => _clients.Value.Values.Any(c => c.SecretHash is not null);

    /// <summary>The grant types a configured client gets when it names none.</summary>
    public static IReadOnlyList<string> EffectiveGrantTypes(McpOAuthClient client)
        => client.GrantTypes.Count > 0 ? [.. client.GrantTypes.Distinct(StringComparer.Ordinal)]
            : client.RedirectUris.Count > 0 ? ["authorization_code", "refresh_token"]
            : [ClientCredentials];

    /// <summary>The keys of a JWKS, or an error naming what is wrong with it.</summary>
    public static (IReadOnlyList<SecurityKey>? Keys, string? Problem) ParseJwks(string json)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException or FormatException)
        {
            return (null, "is not a JSON Web Key Set ({\"keys\":[...]})");
        }

        if (set.Keys.Count == 0)
        {
            return (null, "has no keys");
        }

        // Any private member at all, not only a complete private key (HasPrivateKey wants them all).
        if (set.Keys.Any(k => k.Kty is not ("RSA" or "EC") || k.D is not null || k.P is not null || k.Q is not null || k.DP is not null || k.DQ is not null || k.QI is not null || k.K is not null))
        {
            return (null, "must hold public RSA or EC keys only (no private members such as \"d\")");
        }

        return ([.. set.Keys], null);
    }

    private static Dictionary<string, ClientRegistration> Build(McpOAuthOptions o, DateTimeOffset now)
    {
        var clients = new Dictionary<string, ClientRegistration>(StringComparer.Ordinal);
        foreach (var client in o.Clients)
        {
            var grantTypes = EffectiveGrantTypes(client);
            clients[client.ClientId] = new ClientRegistration
            {
                ClientId = client.ClientId,
                ClientName = client.ClientName,
                RedirectUris = [.. client.RedirectUris],
                GrantTypes = grantTypes,
                ResponseTypes = grantTypes.Contains("authorization_code", StringComparer.Ordinal) ? ["code"] : [],
                TokenEndpointAuthMethod = client.ClientSecret is not null ? "client_secret_basic" : client.JwksJson is not null ? "private_key_jwt" : "none",
                IssuedAt = now,
                IsConfigured = true,
                SecretHash = client.ClientSecret is { } secret ? SHA256.HashData(Encoding.UTF8.GetBytes(secret)) : null,
                AssertionKeys = client.JwksJson is { } jwks ? ParseJwks(jwks).Keys : null,
                ClientCredentialsScopes = client.Scopes.Count > 0 ? [.. client.Scopes] : [.. o.Scopes.Default],
                MayIntrospect = client.AllowIntrospection,
                DpopBoundAccessTokens = client.RequireDpop,
            };
        }

        return clients;
    }
}

/// <summary>
/// The client lookup everything uses: configured clients first, then those registered at runtime
/// (<see cref="ClientStore"/>).
/// </summary>
internal sealed class ClientDirectory(ConfiguredClients configured, ClientStore registered, ClientMetadataDocuments documents) : IClientStore
{
    public async ValueTask<ClientRegistration?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        if (configured.Find(clientId) is { } client)
        {
            return client;
        }

        // A URL names a client described by its metadata document (fetched once, then cached), never a registered one.
        return ClientMetadataDocuments.IsDocumentClientId(clientId)
            ? (await documents.ResolveAsync(clientId)).Client
            : await registered.FindAsync(clientId, cancellationToken);
    }

    public ValueTask<bool> TryAddAsync(ClientRegistration client, CancellationToken cancellationToken)
        => configured.Find(client.ClientId) is not null || ClientMetadataDocuments.IsDocumentClientId(client.ClientId)
            ? ValueTask.FromResult(false)
            : registered.TryAddAsync(client, cancellationToken);

    public ValueTask MarkUsedAsync(string clientId, CancellationToken cancellationToken)
        => IsRegistered(clientId) ? registered.MarkUsedAsync(clientId, cancellationToken) : ValueTask.CompletedTask;

    public ValueTask KeepWhileAuthorizingAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken)
        => IsRegistered(clientId) ? registered.KeepWhileAuthorizingAsync(clientId, until, cancellationToken) : ValueTask.CompletedTask;

    // Configured and URL clients are never evicted; only registered ones are tracked.
    private bool IsRegistered(string clientId) => configured.Find(clientId) is null && !ClientMetadataDocuments.IsDocumentClientId(clientId);
}
