using System.Security.Claims;
using McpSseAuth.Scopes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The SDK-side guard behind the HTTP 403: a call that reaches a primitive without its scopes is refused, whatever path it
/// took; one with them goes through.
/// </summary>
public sealed class ScopeFiltersTests
{
    private static (McpServerOptions Server, ScopeRequirements Requirements) Build(Action<McpOAuthOptions> configure)
    {
        var options = new McpOAuthOptions();
        options.Scopes.Add("mcp:admin", "Admin");
        configure(options);
        var services = new ServiceCollection().AddOptions().BuildServiceProvider();
        var requirements = new ScopeRequirements(services, Options.Create(options));
        var server = services.GetRequiredService<IOptions<McpServerOptions>>().Value;
        new ScopeFilters(requirements, Options.Create(options)).PostConfigure(null, server);
        return (server, requirements);
    }

    // A server that never runs: the request context only needs one to exist.
    private static readonly McpServer Idle = McpServer.Create(new StreamServerTransport(Stream.Null, Stream.Null), new McpServerOptions());

    private static RequestContext<CallToolRequestParams> Call(string tool, string scope) => new(Idle, new JsonRpcRequest { Method = RequestMethods.ToolsCall }, new CallToolRequestParams { Name = tool })
    {
        User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice"), new Claim("scope", scope)], "test")),
    };

    [Fact]
    public async Task CallWithoutTheScope_IsRefusedInsideTheSdk_WithoutReachingTheTool()
    {
        var (server, _) = Build(o => o.Scopes.Required.Tool("admin_tool", "mcp:admin"));
        var reached = false;
        var handler = server.Filters.Request.CallToolFilters.Single()((_, _) =>
        {
            reached = true;
            return ValueTask.FromResult(new CallToolResult());
        });

        var error = await Assert.ThrowsAsync<McpProtocolException>(async () => await handler(Call("admin_tool", "mcp:tools"), default));

        Assert.Contains("mcp:admin", error.Message, StringComparison.Ordinal);
        Assert.False(reached);
    }

    [Theory]
    [InlineData("admin_tool", "mcp:tools mcp:admin")]
    [InlineData("other_tool", "mcp:tools")]
    public async Task CallWithTheScopes_OrOfAToolNeedingNone_GoesThrough(string tool, string scope)
    {
        var (server, _) = Build(o => o.Scopes.Required.Tool("admin_tool", "mcp:admin"));
        var reached = false;
        var handler = server.Filters.Request.CallToolFilters.Single()((_, _) =>
        {
            reached = true;
            return ValueTask.FromResult(new CallToolResult());
        });

        await handler(Call(tool, scope), default);

        Assert.True(reached);
    }

    [Fact]
    public void Missing_ListsOnlyWhatTheTokenLacks()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("scope", "mcp:tools files:read")], "test"));

        Assert.Equal(["files:write"], ScopeRequirements.Missing(user, ["files:read", "files:write"]));
        Assert.Empty(ScopeRequirements.Missing(user, []));
        Assert.Equal(["mcp:tools"], ScopeRequirements.Missing(new ClaimsPrincipal(), ["mcp:tools"]));
    }

    [Fact]
    public void Missing_ComparesWholeScopeTokens()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("scope", " mcp:toolsx  files:read files")], "test"));

        Assert.Equal(["mcp:tools"], ScopeRequirements.Missing(user, ["mcp:tools", "files:read"]));
        Assert.Equal(["mcp:tools", "files:write"], ScopeRequirements.Missing(user, new HashSet<string>(["mcp:tools", "files:write", "files"])));
        Assert.Equal(["mcp:admin"], ScopeRequirements.Missing(user, ["files", "mcp:admin"]));
    }

    [Fact]
    public void ATool_NeedsWhatItsAttributesAndTheOptionsSay_AndAToolAddedLaterItsOwn()
    {
        var (server, requirements) = Build(o => o.Scopes.Required.Tool("first", "mcp:tools").Tool("unlisted", "mcp:admin"));
        server.ToolCollection = [Tool("first", new McpRequiredScopesAttribute("mcp:admin"))];

        var first = requirements.For(RequestMethods.ToolsCall, "first");
        Assert.Equal(["mcp:tools", "mcp:admin"], first);
        Assert.Same(first, requirements.For(RequestMethods.ToolsCall, "first"));

        server.ToolCollection.Add(Tool("later", new McpRequiredScopesAttribute("files:read")));
        Assert.Equal(["files:read"], requirements.For(RequestMethods.ToolsCall, "later"));
        Assert.Empty(requirements.For(RequestMethods.ToolsCall, "unknown"));
        Assert.Equal(["mcp:admin"], requirements.For(RequestMethods.ToolsCall, "unlisted"));
    }

    private static McpServerTool Tool(string name, params object[] metadata)
        => McpServerTool.Create(() => "ok", new McpServerToolCreateOptions { Name = name, Metadata = metadata });
}
