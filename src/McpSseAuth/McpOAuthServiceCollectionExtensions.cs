using McpSseAuth;
using McpSseAuth.Access;
using McpSseAuth.Account;
using McpSseAuth.Authorization;
using McpSseAuth.Clients;
using McpSseAuth.Discovery;
using McpSseAuth.Grants;
using McpSseAuth.Hosting;
using McpSseAuth.Identity;
using McpSseAuth.Keys;
using McpSseAuth.Registration;
using McpSseAuth.Resources;
using McpSseAuth.Sessions;
using McpSseAuth.Tokens;
using McpSseAuth.Users;
using McpSseAuth.UserTokens;
using McpSseAuth.Validation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.AspNetCore.Authentication;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers McpSseAuth: an OAuth 2.1 authorization server and bearer protection for MCP endpoints.</summary>
public static class McpOAuthServiceCollectionExtensions
{
    /// <summary>
    /// Adds the authorization server (metadata, dynamic client registration, authorization with PKCE, tokens,
    /// login and consent), protected resource metadata and bearer validation for the endpoints that
    /// <c>app.MapMcpSse()</c> maps. Safe to call more than once: later calls only add configuration.
    /// Options are validated at startup.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Configures <see cref="McpOAuthOptions"/>.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddMcpOAuth(this IServiceCollection services, Action<McpOAuthOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(MappedEndpoints)))
        {
            return services;
        }

        services.AddSingleton<MappedEndpoints>();
        services.AddOptions<McpOAuthOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpOAuthOptions>, McpOAuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, McpOAuthStartupChecks>());

        services.TryAddSingleton<ServerUris>();
        services.TryAddSingleton<ProtectedResources>();
        services.TryAddSingleton<ResourceIndicators>();
        // State: memory unless the app chose a storage (AddMcpOAuthStorage, AddMcpOAuthSqlite, AddMcpOAuthRedis).
        services.TryAddSingleton<McpSseAuth.Storage.IMcpOAuthStorage>(sp => new McpSseAuth.Storage.InMemoryOAuthStorage(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<McpSseAuth.Storage.IMcpOAuthBus, McpSseAuth.Storage.InProcessBus>();
        // What McpSseAuth's parts use: that storage, its calls timed (Telemetry/).
        services.TryAddKeyedSingleton<McpSseAuth.Storage.IMcpOAuthStorage>(McpSseAuth.Telemetry.MeasuredStorage.Key, (sp, _) => new McpSseAuth.Telemetry.MeasuredStorage(
            sp.GetRequiredService<McpSseAuth.Storage.IMcpOAuthStorage>(), sp.GetRequiredService<McpSseAuth.Telemetry.OAuthMetrics>()));
        services.TryAddSingleton<McpSseAuth.Telemetry.OAuthMetrics>();
        services.TryAddSingleton<McpSseAuth.Telemetry.SecurityAudit>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, McpSseAuth.Grants.RevocationFanOut>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Hosting.IStartupFilter, McpSseAuth.Http.StorageFaults>());
        // Exception handlers inside the pipeline (the developer page, UseExceptionHandler) see a storage fault first: 503 there too.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IDeveloperPageExceptionFilter, McpSseAuth.Http.StorageFaultPageFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IExceptionHandler, McpSseAuth.Http.StorageFaultHandler>());
        services.TryAddSingleton<ISigningKeyStore>(sp => sp.GetService<ConfiguredStorage>() is not null
            ? new StorageSigningKeyStore(sp.GetRequiredKeyedService<McpSseAuth.Storage.IMcpOAuthStorage>(McpSseAuth.Telemetry.MeasuredStorage.Key))
            : SigningKeys.DefaultStore(sp.GetRequiredService<IOptions<McpOAuthOptions>>().Value));
        services.TryAddSingleton(sp => new SigningKeys(
            sp.GetRequiredService<IOptions<McpOAuthOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ISigningKeyStore>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<SigningKeys>>(),
            sp.GetService<ConfiguredStorage>() is not null ? TimeSpan.FromMinutes(5) : null));
        services.TryAddSingleton<AccessTokenIssuer>();

        services.TryAddSingleton<ClientStore>();
        services.TryAddSingleton<ConfiguredClients>();
        services.TryAddSingleton<IClientStore, ClientDirectory>();
        services.TryAddSingleton<McpSseAuth.Grants.GrantRevocationSignal>();
        services.TryAddSingleton<McpSseAuth.Sessions.McpSessionRegistry>();
        services.TryAddSingleton<IMcpSessions>(sp => sp.GetRequiredService<McpSseAuth.Sessions.McpSessionRegistry>());
        services.TryAddSingleton<GrantRevocation>();
        services.TryAddSingleton<McpSseAuth.Grants.GrantUse>();
        services.TryAddSingleton<McpSseAuth.Sessions.SessionDirectory>();
        services.TryAddSingleton<McpSseAuth.Sessions.SessionSeats>();
        services.TryAddSingleton<McpSseAuth.Sessions.SseRelay>();
        services.TryAddSingleton<McpSseAuth.Sessions.StreamableRelay>();
        services.TryAddSingleton<McpSseAuth.Mcp.McpRefusals>();
        services.TryAddSingleton<McpSseAuth.Mcp.MessageSizeGuard>();
        services.TryAddSingleton<McpSseAuth.Mcp.OriginGuard>();
        services.TryAddSingleton<McpSseAuth.Mcp.SessionLimitGuard>();
        services.TryAddSingleton<McpSseAuth.Mcp.SessionOwnerGuard>();
        services.TryAddSingleton<McpSseAuth.Mcp.ScopeGuard>();
        services.TryAddSingleton<McpSseAuth.Mcp.InsufficientScope>();
        services.TryAddSingleton<McpSseAuth.Mcp.EndpointRequirementsGuard>();
        services.TryAddSingleton<IMcpAccessRules, AccessRuleEvaluation>();
        services.TryAddSingleton<McpSseAuth.Mcp.InFlightGuard>();
        services.TryAddSingleton<McpSseAuth.Mcp.McpRequestGuards>();
        services.TryAddSingleton<McpSseAuth.Mcp.StreamableGuards>();
        services.TryAddSingleton<McpSseAuth.Mcp.LegacyMessageGuards>();
        services.TryAddSingleton<McpSseAuth.Mcp.LiveSessions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, McpSseAuth.Sessions.SseRelay>(sp => sp.GetRequiredService<McpSseAuth.Sessions.SseRelay>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, McpSseAuth.Sessions.StreamableRelay>(sp => sp.GetRequiredService<McpSseAuth.Sessions.StreamableRelay>()));
        services.AddMetrics();
        services.TryAddSingleton<McpSseAuth.Sessions.SessionMetrics>();
        services.TryAddSingleton<GrantStore>();
        services.TryAddSingleton<IAuthorizationCodeStore>(sp => sp.GetRequiredService<GrantStore>());
        services.TryAddSingleton<IRefreshTokenStore>(sp => sp.GetRequiredService<GrantStore>());
        services.TryAddSingleton<IPendingAuthorizationStore>(sp => sp.GetRequiredService<GrantStore>());
        services.TryAddSingleton<IGrantRevocations>(sp => sp.GetRequiredService<GrantStore>());

        services.TryAddSingleton<McpSseAuth.Http.SecurePages>();
        services.TryAddSingleton<McpSseAuth.Pages.PageWriter>();
        services.TryAddSingleton<AuthorizationServerMetadataEndpoint>();
        services.TryAddSingleton<ProtectedResourceMetadataEndpoint>();
        services.TryAddSingleton<JwksEndpoint>();
        services.TryAddSingleton<ClientRegistrationEndpoint>();
        services.TryAddSingleton<RegistrationPolicy>();
        services.TryAddSingleton<ClientMetadata>();
        services.TryAddSingleton<MetadataDocumentFetcher>();
        services.TryAddSingleton<ClientMetadataDocuments>();
        services.TryAddSingleton<AuthorizationRequestValidator>();
        services.TryAddSingleton<ConsentPrompt>();
        services.TryAddSingleton<AuthorizeEndpoint>();
        services.TryAddSingleton<ConsentEndpoint>();
        services.TryAddSingleton<TokenEndpoint>();
        services.TryAddSingleton<TokenIssuance>();
        services.TryAddSingleton<McpSseAuth.Dpop.DpopNonces>();
        services.TryAddSingleton<McpSseAuth.Dpop.DpopProofs>();
        services.TryAddSingleton<TokenBinding>();
        services.TryAddSingleton<McpSseAuth.Enterprise.EnterpriseProviders>();
        services.TryAddSingleton<IdentityAssertionGrant>();
        services.TryAddSingleton<PendingShares>();
        services.TryAddSingleton<TokenTargets>();
        services.TryAddSingleton<RefreshTokenGrant>();
        services.TryAddSingleton<ClientAuthentication>();
        services.TryAddSingleton<RevocationEndpoint>();
        services.TryAddSingleton<IntrospectionEndpoint>();
        services.TryAddSingleton<AccessTokenReader>();
        services.TryAddSingleton<ValidatedTokenCache>();
        services.TryAddSingleton<RevocationChecks>();
        services.TryAddSingleton<LoginEndpoint>();
        services.TryAddSingleton<SignInThrottle>();
        services.TryAddSingleton<LogoutEndpoint>();
        services.TryAddSingleton<AuthorizationCodes>();
        services.TryAddSingleton<ExternalSignIn>();
        services.TryAddSingleton<ConnectedAppsEndpoint>();
        services.TryAddSingleton<UserAccess>();
        services.TryAddSingleton<IMcpUserAccess>(sp => sp.GetRequiredService<UserAccess>());
        services.TryAddSingleton<SignInCookieEvents>();
        services.TryAddSingleton<UserStatus>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UserStatusSweep>());
        // A configuration reload rebuilds the options, so users removed or disabled there lose access without a restart.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<McpOAuthOptions>, ConfigurationReload>());
        services.TryAddSingleton<ServiceTokensEndpoint>();
        services.TryAddSingleton<UserDirectory>();
        services.TryAddSingleton<McpSseAuth.Operators.OperatorGate>();
        services.TryAddSingleton<McpSseAuth.Operators.OperatorDesk>();
        services.TryAddSingleton<McpSseAuth.Operators.OperatorPagesEndpoint>();
        services.TryAddSingleton<McpSseAuth.Operators.OperatorApiEndpoint>();

        services.TryAddSingleton<ConsentStore>();
        services.TryAddSingleton<IConsentStore>(sp => sp.GetRequiredService<ConsentStore>());
        services.TryAddSingleton<IGrantStore>(sp => sp.GetRequiredService<ConsentStore>());
        services.TryAddSingleton<IUserSignOuts>(sp => sp.GetRequiredService<ConsentStore>());
        services.TryAddSingleton<IUserSecretStore, UserSecretStore>();
        services.TryAddSingleton<UserSecrets>();
        services.TryAddSingleton<UpstreamTokenRefresh>();
        services.TryAddSingleton<UpstreamTokenStore>();
        services.TryAddSingleton<McpUserTokens>();
        services.TryAddSingleton<IMcpUserTokens>(sp => sp.GetRequiredService<McpUserTokens>());
        services.AddDataProtection();
        services.TryAddSingleton<IMcpRequestState, McpSseAuth.Mcp.RequestStateSeal>();
        // Open generic: sees the options of every remote scheme, whatever its type, and takes over those in SignIn.Schemes.
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IPostConfigureOptions<>), typeof(ExternalSchemeSetup<>)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IPostConfigureOptions<>), typeof(ServiceConnectionSetup<>)));

        services.AddAntiforgery();
        services.AddCors();
        services.TryAddSingleton<McpSseAuth.Http.PublicCors>();
        services.AddMcpServer().WithHttpTransport();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HttpServerTransportOptions>, LegacySseTransportSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HttpServerTransportOptions>, McpSseAuth.Sessions.SessionTracking>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ModelContextProtocol.Server.McpServerOptions>, McpSseAuth.Sessions.SseBackpressure>());
        services.TryAddSingleton<McpSseAuth.Scopes.ScopeRequirements>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ModelContextProtocol.Server.McpServerOptions>, McpSseAuth.Scopes.ScopeFilters>());

        var authentication = services.AddAuthentication()
            .AddCookie(McpOAuthDefaults.SignInCookieScheme)
            .AddCookie(McpOAuthDefaults.ExternalCookieScheme)
            .AddScheme<AuthenticationSchemeOptions, McpBearerHandler>(McpOAuthDefaults.BearerScheme, bearer =>
            {
                // The MCP endpoints authenticate with this scheme directly (one handler per request, none forwarding to it);
                // their challenges and forbids are the SDK scheme's, which knows the protected resource metadata.
                bearer.ForwardChallenge = McpAuthenticationDefaults.AuthenticationScheme;
                bearer.ForwardForbid = McpAuthenticationDefaults.AuthenticationScheme;
            });
        if (!services.Any(d => d.ServiceType == typeof(McpAuthenticationHandler)))
        {
            // An app that already called AddMcp() keeps its registration; it is configured below all the same.
            authentication.AddMcp();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<CookieAuthenticationOptions>, SignInCookieSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>, SignInCookieSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<McpAuthenticationOptions>, ProtectedResourceMetadataSetup>());

        // The SDK's scheme with our handler: an RFC 6750 challenge, and no request serving (the metadata is endpoints).
        services.TryAddTransient<McpOAuthChallengeHandler>();
        services.Configure<AuthenticationOptions>(o =>
        {
            if (o.SchemeMap.TryGetValue(McpAuthenticationDefaults.AuthenticationScheme, out var scheme))
            {
                scheme.HandlerType = typeof(McpOAuthChallengeHandler);
            }
        });

        services.AddAuthorization(o => o.AddPolicy(McpOAuthDefaults.AuthorizationPolicy, policy => policy
            .AddAuthenticationSchemes(McpOAuthDefaults.BearerScheme)
            .RequireAuthenticatedUser()));

        return services;
    }
}
