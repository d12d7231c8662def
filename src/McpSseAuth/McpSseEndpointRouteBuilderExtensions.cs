using System.Diagnostics.CodeAnalysis;
using McpSseAuth;
using McpSseAuth.Authorization;
using McpSseAuth.Discovery;
using McpSseAuth.Hosting;
using McpSseAuth.Identity;
using McpSseAuth.Registration;
using McpSseAuth.Resources;
using McpSseAuth.Telemetry;
using McpSseAuth.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps MCP endpoints protected by McpSseAuth, and the authorization server's endpoints.</summary>
public static class McpSseEndpointRouteBuilderExtensions
{
    private const string SseSuffix = "/sse";
    private const string MessageSuffix = "/message";

    /// <summary>
    /// Maps the MCP server's Streamable HTTP endpoint and legacy HTTP+SSE endpoints (<c>GET {sse}</c> and
    /// <c>POST {sse parent}/message</c>), each request requiring a valid access token for that endpoint; and, on the
    /// first call, the authorization server: metadata, JWKS, registration, authorization, token, login and consent.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="streamablePattern">Path of the Streamable HTTP endpoint. Default <c>/mcp</c>.</param>
    /// <param name="ssePattern">Path of the legacy SSE stream, ending in <c>/sse</c>; null maps no legacy SSE. Default <c>/sse</c>.</param>
    /// <returns>A builder for conventions applied to every MCP endpoint (not to the OAuth endpoints).</returns>
    /// <exception cref="InvalidOperationException"><c>AddMcpOAuth()</c> was not called, or the patterns are unusable.</exception>
    public static IEndpointConventionBuilder MapMcpSse(
        this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string streamablePattern = "/mcp",
        [StringSyntax("Route")] string? ssePattern = SseSuffix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(streamablePattern);
        var services = endpoints.ServiceProvider;
        var state = Mapped(endpoints, nameof(MapMcpSse));
        if (endpoints is RouteGroupBuilder)
        {
            // The paths are the resource identifiers published in the metadata; a group prefix would be missing from them.
            throw new InvalidOperationException("Call MapMcpSse() on the app, not on a route group: give the full paths instead, e.g. app.MapMcpSse(\"/api/mcp\", \"/api/sse\").");
        }

        var key = (endpoints, streamablePattern, ssePattern);
        lock (state)
        {
            if (state.Mapped.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var resources = services.GetRequiredService<ProtectedResources>();
            if (ssePattern is not null)
            {
                if (!ssePattern.EndsWith(SseSuffix, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"The legacy SSE path must end in '/sse' (got '{ssePattern}'), e.g. MapMcpSse(\"/mcp\", \"/legacy/sse\"). Pass null to map no legacy SSE.");
                }

                var transport = services.GetRequiredService<IOptions<HttpServerTransportOptions>>().Value;
                if (!LegacySseTransportSetup.IsLegacySseEnabled(transport))
                {
                    throw new InvalidOperationException("Legacy SSE is switched off (McpOAuthOptions.EnableLegacySse = false). Call MapMcpSse(streamablePattern, ssePattern: null), or turn EnableLegacySse back on.");
                }
            }

            var builders = new List<IEndpointConventionBuilder>();

            var streamable = new FilteredEndpointRouteBuilder(endpoints);
            builders.Add(BindSessions(streamable.MapMcp(streamablePattern).WithMetadata(new ProtectedResourceMetadataPath(Path(streamablePattern))), services, legacySse: false));
            streamable.Commit(e => RoutePath(e) == Path(streamablePattern));
            resources.Add(Path(streamablePattern), Path(streamablePattern));

            if (ssePattern is not null)
            {
                var prefix = ssePattern[..^SseSuffix.Length];
                var sse = new FilteredEndpointRouteBuilder(endpoints);
                builders.Add(BindSessions(sse.MapMcp(prefix).WithMetadata(new ProtectedResourceMetadataPath(Path(ssePattern))), services, legacySse: true));
                sse.Commit(e => RoutePath(e) == Path(ssePattern) || RoutePath(e) == Path(prefix + MessageSuffix));
                resources.Add(Path(ssePattern), Path(ssePattern));
                resources.Add(Path(prefix + MessageSuffix), Path(ssePattern));
            }

            var result = new CompositeConventionBuilder(builders);
            result.RequireAuthorization(McpOAuthDefaults.AuthorizationPolicy);

            endpoints.MapMcpOAuth();
            state.Mapped[key] = result;
            return result;
        }
    }

    /// <summary>
    /// Maps the authorization server's endpoints: metadata, JWKS, registration, authorization, token, revocation, introspection, login, consent and
    /// logout, and the user's connected-apps and service-tokens pages. <c>MapMcpSse</c> does this on its first call; call it yourself first to add conventions to these endpoints,
    /// e.g. <c>app.MapMcpOAuth().RequireRateLimiting("oauth")</c>. A second call returns the same builder.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <returns>A builder for conventions applied to every OAuth endpoint.</returns>
    /// <exception cref="InvalidOperationException"><c>AddMcpOAuth()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapMcpOAuth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var state = Mapped(endpoints, nameof(MapMcpOAuth));
        lock (state)
        {
            return state.AuthorizationServer ??= MapAuthorizationServer(endpoints);
        }
    }

    private static MappedEndpoints Mapped(IEndpointRouteBuilder endpoints, string caller)
        => endpoints.ServiceProvider.GetService<MappedEndpoints>()
           ?? throw new InvalidOperationException($"You must call AddMcpOAuth() before {caller}(). Call builder.Services.AddMcpOAuth(o => ...) in application startup code.");

    private static RouteGroupBuilder MapAuthorizationServer(IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var o = services.GetRequiredService<IOptions<McpOAuthOptions>>().Value;

        var metadata = services.GetRequiredService<AuthorizationServerMetadataEndpoint>();
        var resourceMetadata = services.GetRequiredService<ProtectedResourceMetadataEndpoint>();
        var jwks = services.GetRequiredService<JwksEndpoint>();
        var registration = services.GetRequiredService<ClientRegistrationEndpoint>();
        var authorize = services.GetRequiredService<AuthorizeEndpoint>();
        var consent = services.GetRequiredService<ConsentEndpoint>();
        var token = services.GetRequiredService<TokenEndpoint>();
        var revocation = services.GetRequiredService<RevocationEndpoint>();
        var introspection = services.GetRequiredService<IntrospectionEndpoint>();
        var login = services.GetRequiredService<LoginEndpoint>();
        var logout = services.GetRequiredService<LogoutEndpoint>();
        var external = services.GetRequiredService<ExternalSignIn>();
        var apps = services.GetRequiredService<McpSseAuth.Account.ConnectedAppsEndpoint>();
        var serviceTokens = services.GetRequiredService<McpSseAuth.Account.ServiceTokensEndpoint>();
        var cors = services.GetRequiredService<McpSseAuth.Http.PublicCors>();
        var pages = services.GetRequiredService<McpSseAuth.Http.SecurePages>();
        var metrics = services.GetRequiredService<McpSseAuth.Telemetry.OAuthMetrics>();

        var group = endpoints.MapGroup("").AllowAnonymous().DisableAntiforgery().WithDisplayName(b => $"McpSseAuth | {b.DisplayName}");
        // Called by browser-based clients directly: CORS for any origin, without credentials.
        Map(group, McpOAuthDefaults.AuthorizationServerMetadataPath, get: metadata.HandleAsync, cors: cors);
        Map(group, McpOAuthDefaults.OpenIdConfigurationPath, get: metadata.HandleAsync, cors: cors);
        Map(group, McpOAuthDefaults.ProtectedResourceMetadataPath, get: resourceMetadata.HandleAsync, cors: cors);
        Map(group, ProtectedResourceMetadataEndpoint.SuffixRoute, get: resourceMetadata.HandleAsync, cors: cors);
        Map(group, o.Paths.Jwks, get: jwks.HandleAsync, cors: cors);
        if (o.Registration.Enabled)
        {
            Map(group, o.Paths.Registration, post: Spanned(OAuthActivities.Registration, registration.HandleAsync), cors: cors);
        }

        // Pages a browser opens: cookies and anti-forgery forms, so https when the issuer is.
        Map(group, o.Paths.Authorization, get: Spanned(OAuthActivities.Authorize, authorize.HandleAsync), pages: pages);
        Map(group, o.Paths.Consent, post: Spanned(OAuthActivities.Consent, consent.HandleAsync), pages: pages);
        Map(group, o.Paths.Token, post: Spanned(OAuthActivities.Token, token.HandleAsync), cors: cors);
        Map(group, o.Paths.Revocation, post: Spanned(OAuthActivities.Revocation, revocation.HandleAsync), cors: cors);
        // Server to server: no CORS.
        Map(group, o.Paths.Introspection, post: Spanned(OAuthActivities.Introspection, introspection.HandleAsync));
        Map(group, o.Paths.Login, get: login.HandleGetAsync, post: Spanned(OAuthActivities.SignIn, login.HandlePostAsync), pages: pages);
        Map(group, o.Paths.Logout, get: logout.HandleGetAsync, post: Spanned(OAuthActivities.SignOut, logout.HandlePostAsync), pages: pages);
        Map(group, ExternalSignIn.CallbackPath(o), get: Spanned(OAuthActivities.SignIn, external.HandleCallbackAsync), pages: pages);
        Map(group, o.Paths.ConnectedApps, get: apps.HandleGetAsync, post: Spanned(OAuthActivities.ConnectedApps, apps.HandlePostAsync), pages: pages);
        if (o.ServiceTokens.Count > 0)
        {
            Map(group, o.Paths.ServiceTokens, get: serviceTokens.HandleGetAsync, post: Spanned(OAuthActivities.ServiceTokens, serviceTokens.HandlePostAsync), pages: pages);
            if (o.ServiceTokens.Any(s => s.ConnectScheme is not null))
            {
                Map(group, o.Paths.ServiceTokens + McpSseAuth.Account.ServiceTokensEndpoint.ConnectedSuffix, get: serviceTokens.HandleConnectedAsync, pages: pages);
            }
        }
        if (o.Operators.Access.HasRules)
        {
            MapOperatorView(group, services, o, pages, Spanned);
        }

        return group;

        // Each step that matters in a span of its own (docs/observability.md), its outcome counted.
        RequestDelegate Spanned(string span, RequestDelegate handler) => EndpointStep.Wrap(span, handler, metrics);
    }

    // The operator's pages, and their API when the host named schemes for it (docs/operators.md).
    private static void MapOperatorView(RouteGroupBuilder group, IServiceProvider services, McpOAuthOptions o, McpSseAuth.Http.SecurePages pages, Func<string, RequestDelegate, RequestDelegate> spanned)
    {
        var view = services.GetRequiredService<McpSseAuth.Operators.OperatorPagesEndpoint>();
        Map(group, o.Paths.Operator, get: view.HandleGetAsync, post: spanned(OAuthActivities.Operator, view.HandlePostAsync), pages: pages);
        if (o.Operators.ApiSchemes.Count == 0)
        {
            return;
        }

        var api = services.GetRequiredService<McpSseAuth.Operators.OperatorApiEndpoint>();
        var root = o.Paths.Operator.Value!;
        group.MapGet(root + McpSseAuth.Operators.OperatorApiEndpoint.Users, api.ListUsersAsync);
        group.MapGet(root + McpSseAuth.Operators.OperatorApiEndpoint.Clients, api.ListClientsAsync);
        group.MapGet(root + McpSseAuth.Operators.OperatorApiEndpoint.User, api.GetUserAsync);
        group.MapDelete(root + McpSseAuth.Operators.OperatorApiEndpoint.User, spanned(OAuthActivities.Operator, api.RemoveUserAsync));
        group.MapDelete(root + McpSseAuth.Operators.OperatorApiEndpoint.UserGrant, spanned(OAuthActivities.Operator, api.RevokeGrantAsync));
        group.MapDelete(root + McpSseAuth.Operators.OperatorApiEndpoint.UserClient, spanned(OAuthActivities.Operator, api.RevokeClientAsync));
        group.MapDelete(root + McpSseAuth.Operators.OperatorApiEndpoint.UserSession, spanned(OAuthActivities.Operator, api.EndSessionAsync));
    }

    private static void Map(RouteGroupBuilder group, PathString path, RequestDelegate? get = null, RequestDelegate? post = null, McpSseAuth.Http.PublicCors? cors = null, McpSseAuth.Http.SecurePages? pages = null)
    {
        if (pages is not null)
        {
            get = get is null ? null : pages.Wrap(get);
            post = post is null ? null : pages.Wrap(post);
        }

        if (cors is not null)
        {
            get = get is null ? null : cors.Wrap(get);
            post = post is null ? null : cors.Wrap(post);
            group.MapMethods(path.Value!, [HttpMethods.Options], cors.Wrap(context =>
            {
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return Task.CompletedTask;
            }));
        }

        if (get is not null)
        {
            group.MapMethods(path.Value!, [HttpMethods.Get, HttpMethods.Head], get);
        }

        if (post is not null)
        {
            group.MapMethods(path.Value!, [HttpMethods.Post], post);
        }

        // Any other method gets an RFC-shaped error rather than an empty 405.
        string[] others = [.. new[] { HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch }
            .Where(m => !(m == HttpMethods.Get && get is not null) && !(m == HttpMethods.Post && post is not null))];
        var allow = string.Join(", ", new[] { get is null ? null : "GET", post is null ? null : "POST" }.Where(m => m is not null));
        group.MapMethods(path.Value!, others, context =>
        {
            context.Response.Headers.Allow = allow;
            return McpSseAuth.Http.OAuthError.MethodNotAllowed($"This endpoint accepts {allow} only.").WriteAsync(context);
        });
    }

    /// <summary>Sessions bound to user and client, and their limits: checked after authorization, before the SDK sees the request.</summary>
    private static IEndpointConventionBuilder BindSessions(IEndpointConventionBuilder builder, IServiceProvider services, bool legacySse)
    {
        var guards = services.GetRequiredService<McpSseAuth.Mcp.McpRequestGuards>();
        var relay = services.GetRequiredService<McpSseAuth.Sessions.SseRelay>();
        var streamableRelay = services.GetRequiredService<McpSseAuth.Sessions.StreamableRelay>();
        var resources = services.GetRequiredService<ProtectedResources>();
        builder.Finally(endpoint =>
        {
            // Scopes the endpoint needs for every request are published in its resource's metadata and challenges.
            if (endpoint.Metadata.OfType<ProtectedResourceMetadataPath>().FirstOrDefault() is { } resource)
            {
                resources.AddScopes(resource.ResourcePath, endpoint.Metadata.OfType<McpSseAuth.Mcp.EndpointRequirements>().SelectMany(r => r.Scopes));
            }

            if (endpoint.RequestDelegate is { } inner)
            {
                RequestDelegate guarded = context => guards.InvokeAsync(context, inner, legacySse);
                if (legacySse && endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } pattern } && pattern.EndsWith(MessageSuffix, StringComparison.Ordinal))
                {
                    // Messages handed over by other instances run through the same guards and the SDK's handler (SseRelay).
                    relay.AddMessageHandler(Path(pattern), guarded);
                }
                else if (!legacySse && endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } streamable })
                {
                    // Requests for its sessions handed over by other instances run through the same guards and the SDK (StreamableRelay).
                    foreach (var method in endpoint.Metadata.OfType<HttpMethodMetadata>().SelectMany(m => m.HttpMethods))
                    {
                        streamableRelay.AddHandler(method, Path(streamable), guarded);
                    }
                }

                endpoint.RequestDelegate = guarded;
            }
        });
        return builder;
    }

    /// <summary>
    /// The path an endpoint of the SDK's <c>MapMcp</c> answers: Streamable HTTP at the pattern itself, legacy SSE at
    /// <c>/sse</c> and <c>/message</c> under it (the routes the SDK maps; RegistrationAndMappingTests fails if they move).
    /// </summary>
    private static PathString RoutePath(RouteEndpoint endpoint) => Path(endpoint.RoutePattern.RawText ?? "");

    private static PathString Path(string pattern) => new("/" + pattern.Trim('/'));
}
