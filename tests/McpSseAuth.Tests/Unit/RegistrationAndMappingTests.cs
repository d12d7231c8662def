using McpSseAuth.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Unit;

public sealed class RegistrationAndMappingTests
{
    private static WebApplication BuildApp(Action<McpOAuthOptions>? configure = null, bool addMcpOAuth = true)
    {
        var builder = WebApplication.CreateBuilder();
        if (addMcpOAuth)
        {
            builder.Services.AddMcpOAuth(o =>
            {
                o.AddUser("a", "a");
                configure?.Invoke(o);
            });
        }

        return builder.Build();
    }

    private static List<RouteEndpoint> Endpoints(WebApplication app)
        => [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()];

    private static List<string> Patterns(WebApplication app)
        => [.. Endpoints(app).Select(e => "/" + (e.RoutePattern.RawText ?? "").Trim('/')).Distinct(StringComparer.Ordinal)];

    private static int CountMethod(WebApplication app, string pattern, string method)
        => Endpoints(app).Count(e => "/" + (e.RoutePattern.RawText ?? "").Trim('/') == pattern &&
            e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(method) == true);

    [Fact]
    public void AddMcpOAuth_CalledTwice_RegistersServicesOnce()
    {
        var services = new ServiceCollection();
        services.AddMcpOAuth(o => o.AddUser("a", "a"));
        var afterFirst = services.Count;
        services.AddMcpOAuth(o => o.ResourceName = "Second");

        Assert.Single(services, d => d.ServiceType == typeof(MappedEndpoints));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<McpOAuthOptions>) && d.ImplementationType == typeof(McpOAuthOptionsValidator));
        Assert.Single(services, d => d.ServiceType == typeof(McpSseAuth.Keys.SigningKeys));
        Assert.Equal(afterFirst + 1, services.Count); // only the second configure delegate
    }

    [Fact]
    public void AddMcpOAuth_CalledTwice_AppliesBothConfigureDelegatesInOrder()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMcpOAuth(o =>
        {
            o.AddUser("a", "a");
            o.ResourceName = "First";
        });
        services.AddMcpOAuth(o =>
        {
            o.ResourceName += "+Second";
            o.Tokens.AccessTokenLifetime = TimeSpan.FromMinutes(5);
        });

        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<McpOAuthOptions>>().Value;

        Assert.Equal("First+Second", options.ResourceName);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Tokens.AccessTokenLifetime);
        Assert.Equal("a", Assert.Single(options.Users).UserName);
    }

    [Fact]
    public void AddMcpOAuth_WithoutConfigure_StillRegistersAndLaterConfigureApplies()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMcpOAuth();
        services.AddMcpOAuth(o => o.AddUser("late", "pw"));

        using var provider = services.BuildServiceProvider();
        Assert.Equal("late", Assert.Single(provider.GetRequiredService<IOptions<McpOAuthOptions>>().Value.Users).UserName);
    }

    [Fact]
    public void AddMcpOAuth_InvalidOptions_FailWhenOptionsAreRead()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMcpOAuth(o => o.Issuer = new Uri("http://mcp.example.com"));

        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<McpOAuthOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains("McpOAuthOptions.Issuer", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("No one can sign in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MapMcpSse_WithoutAddMcpOAuth_ThrowsAFixItMessage()
    {
        await using var app = BuildApp(addMcpOAuth: false);
        var error = Assert.Throws<InvalidOperationException>(() => app.MapMcpSse());
        Assert.Contains("AddMcpOAuth()", error.Message, StringComparison.Ordinal);
        Assert.Contains("Call builder.Services.AddMcpOAuth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapMcpSse_Defaults_MapsStreamableHttpLegacySseAndTheAuthorizationServer()
    {
        await using var app = BuildApp();
        app.MapMcpSse();
        var patterns = Patterns(app);

        Assert.Contains("/mcp", patterns);
        Assert.Contains("/sse", patterns);
        Assert.Contains("/message", patterns);
        Assert.DoesNotContain("/mcp/sse", patterns);
        Assert.DoesNotContain("/mcp/message", patterns);
        Assert.Contains(McpOAuthDefaults.AuthorizationServerMetadataPath, patterns);
        Assert.Contains(McpOAuthDefaults.OpenIdConfigurationPath, patterns);
        Assert.Contains("/oauth/jwks", patterns);
        Assert.Contains("/oauth/register", patterns);
        Assert.Contains("/oauth/authorize", patterns);
        Assert.Contains("/oauth/token", patterns);
        Assert.Contains("/oauth/login", patterns);
        Assert.Contains("/oauth/consent", patterns);
        Assert.Contains("/oauth/logout", patterns);
    }

    [Fact]
    public async Task MapMcpSse_McpEndpoints_RequireTheMcpOAuthPolicyAndOAuthEndpointsAllowAnonymous()
    {
        await using var app = BuildApp();
        app.MapMcpSse();
        var endpoints = Endpoints(app);

        foreach (var mcp in endpoints.Where(e => e.RoutePattern.RawText?.Trim('/') is "mcp" or "sse" or "message"))
        {
            Assert.Contains(mcp.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>(), a => a.Policy == McpOAuthDefaults.AuthorizationPolicy);
        }

        var token = Assert.Single(endpoints, e => e.RoutePattern.RawText?.Trim('/') == "oauth/token" &&
            e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Post) == true);
        Assert.NotNull(token.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>());
    }

    [Fact]
    public async Task MapMcpSse_CalledTwice_ReturnsTheSameBuilderAndMapsOnce()
    {
        await using var app = BuildApp();
        var first = app.MapMcpSse();
        var countAfterFirst = Endpoints(app).Count;
        var sourcesAfterFirst = ((IEndpointRouteBuilder)app).DataSources.Count;

        var second = app.MapMcpSse();

        Assert.Same(first, second);
        Assert.Equal(countAfterFirst, Endpoints(app).Count);
        Assert.Equal(sourcesAfterFirst, ((IEndpointRouteBuilder)app).DataSources.Count);
        Assert.Equal(1, CountMethod(app, "/oauth/token", HttpMethods.Post));
        Assert.Equal(1, CountMethod(app, "/mcp", HttpMethods.Post));
    }

    [Fact]
    public async Task MapMcpSse_SecondEndpointPair_MapsTheAuthorizationServerOnlyOnce()
    {
        await using var app = BuildApp();
        var first = app.MapMcpSse();
        var second = app.MapMcpSse("/tenant/mcp", "/tenant/sse");

        Assert.NotSame(first, second);
        var patterns = Patterns(app);
        Assert.Contains("/tenant/mcp", patterns);
        Assert.Contains("/tenant/sse", patterns);
        Assert.Contains("/tenant/message", patterns);
        Assert.Equal(1, CountMethod(app, "/oauth/token", HttpMethods.Post));
        Assert.Equal(1, CountMethod(app, McpOAuthDefaults.AuthorizationServerMetadataPath, HttpMethods.Get));
    }

    [Theory]
    [InlineData("/legacy")]
    [InlineData("/events")]
    [InlineData("/sse/")]
    [InlineData("/SSE")]
    public async Task MapMcpSse_SsePatternNotEndingInSse_ThrowsAFixItMessage(string ssePattern)
    {
        await using var app = BuildApp();
        var error = Assert.Throws<InvalidOperationException>(() => app.MapMcpSse("/mcp", ssePattern));
        Assert.Contains("must end in '/sse'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{ssePattern}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Pass null", error.Message, StringComparison.Ordinal);
        Assert.Empty(Endpoints(app));
    }

    [Fact]
    public async Task MapMcpSse_SsePatternUnderAPrefix_MapsMessageBesideIt()
    {
        await using var app = BuildApp();
        app.MapMcpSse("/mcp", "/legacy/sse");
        var patterns = Patterns(app);
        Assert.Contains("/legacy/sse", patterns);
        Assert.Contains("/legacy/message", patterns);
        Assert.DoesNotContain("/sse", patterns);
    }

    [Fact]
    public async Task MapMcpSse_LegacySseDisabledButSsePatternGiven_ThrowsAFixItMessage()
    {
        await using var app = BuildApp(o => o.EnableLegacySse = false);
        var error = Assert.Throws<InvalidOperationException>(() => app.MapMcpSse(ssePattern: "/sse"));
        Assert.Contains("EnableLegacySse", error.Message, StringComparison.Ordinal);
        Assert.Contains("ssePattern: null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapMcpSse_LegacySseDisabledAndNoSsePattern_MapsStreamableHttpOnly()
    {
        await using var app = BuildApp(o => o.EnableLegacySse = false);
        app.MapMcpSse(ssePattern: null);
        var patterns = Patterns(app);

        Assert.Contains("/mcp", patterns);
        Assert.DoesNotContain("/sse", patterns);
        Assert.DoesNotContain("/message", patterns);
        Assert.DoesNotContain(patterns, p => p.EndsWith("/sse", StringComparison.Ordinal));
        Assert.Contains("/oauth/token", patterns);
    }

    [Fact]
    public async Task MapMcpSse_NullSsePatternWithLegacySseEnabled_MapsNoLegacyEndpoints()
    {
        await using var app = BuildApp();
        app.MapMcpSse(ssePattern: null);
        var patterns = Patterns(app);
        Assert.Contains("/mcp", patterns);
        Assert.DoesNotContain(patterns, p => p.EndsWith("/sse", StringComparison.Ordinal) || p.EndsWith("/message", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MapMcpSse_ReturnedBuilder_AppliesConventionsToMcpEndpointsOnly()
    {
        await using var app = BuildApp();
        app.MapMcpSse().WithMetadata(new ConventionMarker());
        var endpoints = Endpoints(app);

        Assert.All(endpoints.Where(e => e.RoutePattern.RawText?.Trim('/') is "mcp" or "sse" or "message"),
            e => Assert.NotNull(e.Metadata.GetMetadata<ConventionMarker>()));
        Assert.All(endpoints.Where(e => e.RoutePattern.RawText?.Contains("oauth", StringComparison.Ordinal) == true),
            e => Assert.Null(e.Metadata.GetMetadata<ConventionMarker>()));
    }

    private sealed class ConventionMarker;

    [Fact]
    public async Task AddMcpOAuth_AfterTheAppsOwnAddMcp_KeepsOneMcpSchemeWithTheChallengeHandler()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddAuthentication().AddMcp();
        builder.Services.AddMcpOAuth(o => o.AddUser("a", "a"));
        await using var app = builder.Build();

        var schemes = app.Services.GetRequiredService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>();
        var scheme = await schemes.GetSchemeAsync(ModelContextProtocol.AspNetCore.Authentication.McpAuthenticationDefaults.AuthenticationScheme);
        Assert.Equal(typeof(McpSseAuth.Validation.McpOAuthChallengeHandler), scheme!.HandlerType);
        Assert.Single(await schemes.GetAllSchemesAsync(), s => s.Name == scheme.Name);
    }

    [Fact]
    public void MapMcpOAuth_BeforeMapMcpSse_ReturnsTheBuilderOfTheOAuthEndpoints_AndMapsThemOnce()
    {
        using var app = BuildApp();
        var oauth = app.MapMcpOAuth();
        oauth.WithMetadata("oauth-convention");
        Assert.Same(oauth, app.MapMcpOAuth());
        app.MapMcpSse();

        var token = Assert.Single(Endpoints(app), e => e.RoutePattern.RawText == "/oauth/token" && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("POST") == true);
        Assert.Contains("oauth-convention", token.Metadata);
        Assert.DoesNotContain(Endpoints(app), e => e.RoutePattern.RawText?.TrimStart('/') == "mcp" && e.Metadata.Contains("oauth-convention"));
    }

    [Fact]
    public void MapMcpOAuth_WithoutAddMcpOAuth_FailsWithAFixIt()
    {
        using var app = BuildApp(addMcpOAuth: false);

        var error = Assert.Throws<InvalidOperationException>(() => app.MapMcpOAuth());
        Assert.Contains("Call builder.Services.AddMcpOAuth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MapMcpSse_OnARouteGroup_FailsWithAFixIt()
    {
        using var app = BuildApp();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapGroup("/api").MapMcpSse());
        Assert.Contains("app.MapMcpSse(\"/api/mcp\", \"/api/sse\")", error.Message, StringComparison.Ordinal);
    }
}
