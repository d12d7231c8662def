using McpSseAuth.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Unit;

public sealed class StartupChecksTests
{
    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "test";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    private sealed class ListLogger : ILogger<McpOAuthStartupChecks>
    {
        public List<EventId> Events { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => Events.Add(eventId);
    }

    private static McpSseAuth.Scopes.ScopeRequirements Scopes(McpOAuthOptions options)
        => new(Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(
            Microsoft.Extensions.DependencyInjection.OptionsServiceCollectionExtensions.AddOptions(new Microsoft.Extensions.DependencyInjection.ServiceCollection())), Options.Create(options));

    [Fact]
    public async Task RequiredScope_NotAmongTheKnownScopes_FailsStartupNamingIt()
    {
        var options = new McpOAuthOptions();
        options.Scopes.Required.Tool("delete_file", "files:write");
        var checks = new McpOAuthStartupChecks(Options.Create(options), Scopes(options), new AuthenticationSchemeProvider(Options.Create(new AuthenticationOptions())), new Environment(Environments.Development), new ListLogger());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => checks.StartAsync(CancellationToken.None));

        Assert.Contains("'files:write'", error.Message, StringComparison.Ordinal);
        Assert.Contains("o.Scopes.Add(", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<EventId>> RunAsync(string environment, McpOAuthOptions options)
    {
        var logger = new ListLogger();
        var schemes = new AuthenticationSchemeProvider(Options.Create(new AuthenticationOptions()));
        await new McpOAuthStartupChecks(Options.Create(options), Scopes(options), schemes, new Environment(environment), logger).StartAsync(CancellationToken.None);
        return logger.Events;
    }

    [Fact]
    public async Task Production_WithoutIssuerOrKeyDirectory_WarnsAboutBoth()
    {
        var events = await RunAsync(Environments.Production, new McpOAuthOptions());

        Assert.Contains(events, e => e.Id == 1003 && e.Name == "IssuerDerivedFromRequest");
        Assert.Contains(events, e => e.Id == 1004 && e.Name == "SigningKeyInMemory");
    }

    [Fact]
    public async Task Production_WithIssuerAndKeyDirectory_IsQuiet()
    {
        var events = await RunAsync(Environments.Production, new McpOAuthOptions { Issuer = new Uri("https://mcp.example.com"), Signing = { KeyDirectory = "/tmp/keys" } });

        Assert.Empty(events);
    }

    [Fact]
    public async Task Development_IsQuiet()
    {
        Assert.Empty(await RunAsync(Environments.Development, new McpOAuthOptions()));
    }

    [Fact]
    public async Task SignInScheme_NotRegistered_FailsStartupWithFixIt()
    {
        var options = new McpOAuthOptions();
        options.SignIn.Schemes.Add("corp");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(Environments.Development, options));

        Assert.Contains("AddOpenIdConnect(\"corp\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperatorApiScheme_NotRegistered_FailsStartupWithFixIt()
    {
        var options = new McpOAuthOptions();
        options.Operators.Access.AllowedUsers.Add("alice");
        options.Operators.ApiSchemes.Add("ops-key");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(Environments.Development, options));

        Assert.Contains("Operators.ApiSchemes names 'ops-key'", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddJwtBearer(\"ops-key\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInScheme_NotARemoteScheme_FailsStartup()
    {
        var authentication = new AuthenticationOptions();
        authentication.AddScheme<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationHandler>("cookies", null);
        var options = new McpOAuthOptions();
        options.SignIn.Schemes.Add("cookies");
        var checks = new McpOAuthStartupChecks(Options.Create(options), Scopes(options), new AuthenticationSchemeProvider(Options.Create(authentication)), new Environment(Environments.Development), new ListLogger());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => checks.StartAsync(CancellationToken.None));

        Assert.Contains("not a remote sign-in scheme", error.Message, StringComparison.Ordinal);
    }
}
