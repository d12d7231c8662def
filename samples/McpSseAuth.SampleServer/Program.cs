using McpSseAuth.SampleServer;
using Microsoft.AspNetCore.DataProtection;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddMcpServer().WithTools<SampleTools>();
builder.Services.AddHttpClient();

// Cookies and the users' stored tokens are encrypted with these keys: keep them across restarts.
builder.Services.AddDataProtection()
    .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(builder.Environment.ContentRootPath, "App_Data", "data-protection")));

// An upstream OpenID Connect provider, when the "Upstream" section configures one (see docs/sign-in-and-consent.md).
var upstreamScheme = UpstreamSignIn.AddFromConfiguration(builder);

builder.Services.AddMcpOAuth(options =>
{
    // Issuer, Users (with PasswordHash), AccessRules, ServiceTokens, Scopes, lifetimes... from the "McpOAuth" section.
    builder.Configuration.GetSection("McpOAuth").Bind(options);
    options.KeyDirectory ??= Path.Combine(builder.Environment.ContentRootPath, "App_Data", "keys");
    options.ResourceName ??= "McpSseAuth sample server";
    if (upstreamScheme is not null && !options.SignInSchemes.Contains(upstreamScheme))
    {
        options.SignInSchemes.Add(upstreamScheme);
    }

    // An extra scope, required by the server_stats tool: clients ask for it only when they call that tool.
    options.Scopes.TryAdd(SampleScopes.Admin, "See statistics about your sessions on this server");

    if (options.ServiceTokens.Count == 0)
    {
        options.AddServiceToken("github", "GitHub", "A personal access token that the github_token_status tool checks for.");
    }

    if (builder.Environment.IsDevelopment() && !builder.Configuration.GetValue<bool>("NoDemoUsers"))
    {
        // Demo users, in Development only.
        options.AddUser("alice", "alice").AddUser("bob", "bob");
    }
});

var app = builder.Build();

app.MapMcpSse();   // Streamable HTTP at /mcp, legacy SSE at /sse (+ /message), OAuth endpoints under /oauth
app.MapGet("/", () => Results.Text(
    "McpSseAuth sample MCP server.\n" +
    "Streamable HTTP: /mcp\nLegacy SSE:      /sse\n" +
    "OAuth metadata:  /.well-known/oauth-authorization-server\n"));

app.Run();

/// <summary>The sample's entry point, visible to tests.</summary>
public partial class Program;
