using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Enterprise;

/// <summary>
/// The enterprise identity providers this server trusts for identity assertion grants
/// (<see cref="McpOAuthOptions.EnterpriseIdentityProviders"/>), by issuer, each with its signing keys: given inline, or read
/// from its metadata by IdentityModel's <see cref="ConfigurationManager{T}"/> (cached, refreshed daily and when a grant
/// names a key it does not know, at most every 5 minutes).
/// </summary>
internal sealed class EnterpriseProviders : IDisposable
{
    private readonly Dictionary<string, TrustedProvider> _byIssuer;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };

    public EnterpriseProviders(IOptions<McpOAuthOptions> options)
    {
        _byIssuer = new Dictionary<string, TrustedProvider>(StringComparer.Ordinal);
        foreach (var provider in options.Value.EnterpriseIdentityProviders)
        {
            IReadOnlyList<SecurityKey>? inline = provider.JwksJson is { } jwks ? Clients.ConfiguredClients.ParseJwks(jwks).Keys : null;
            ConfigurationManager<OpenIdConnectConfiguration>? metadata = null;
            if (inline is null)
            {
                var address = MetadataAddressOf(provider);
                metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
                    address.ToString(),
                    new OpenIdConnectConfigurationRetriever(),
                    new HttpDocumentRetriever(_http) { RequireHttps = !address.IsLoopback });
            }

            _byIssuer[provider.Issuer] = new TrustedProvider(provider, inline, metadata);
        }
    }

    /// <summary>What reads the providers' metadata (and the health check of it): no redirects, no cookies, 10 s.</summary>
    public HttpClient Http => _http;

    /// <summary>Whether any provider is trusted: the grant type is offered only then.</summary>
    public bool Any => _byIssuer.Count > 0;

    /// <summary>The provider whose issuer is exactly <paramref name="issuer"/>, or null.</summary>
    public TrustedProvider? Find(string? issuer) => issuer is not null && _byIssuer.TryGetValue(issuer, out var provider) ? provider : null;

    /// <summary>Where a provider's metadata is read: as configured, or its issuer's OpenID Connect discovery document.</summary>
    public static Uri MetadataAddressOf(McpEnterpriseIdentityProvider provider)
        => provider.MetadataAddress ?? new Uri(provider.Issuer.TrimEnd('/') + "/.well-known/openid-configuration");

    public void Dispose() => _http.Dispose();
}

/// <summary>A trusted provider and where its keys come from.</summary>
internal sealed class TrustedProvider(McpEnterpriseIdentityProvider options, IReadOnlyList<SecurityKey>? inline, ConfigurationManager<OpenIdConnectConfiguration>? metadata)
{
    public McpEnterpriseIdentityProvider Options { get; } = options;

    /// <summary>The keys its grants are signed with (the metadata's, fetched or cached).</summary>
    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(CancellationToken cancellationToken)
        => inline ?? [.. (await metadata!.GetConfigurationAsync(cancellationToken)).SigningKeys];

    /// <summary>A grant named a key not among them: read the metadata again (rate-limited by IdentityModel).</summary>
    public bool RefreshKeys()
    {
        if (metadata is null)
        {
            return false;
        }

        metadata.RequestRefresh();
        return true;
    }
}
