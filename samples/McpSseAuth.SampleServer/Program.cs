using McpSseAuth.SampleServer;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddMcpServer().WithTools<SampleTools>();
builder.Services.AddMcpOAuth(options =>
{
    // Issuer, Users (with PasswordHash), Scopes, lifetimes... from the "McpOAuth" section of configuration.
    builder.Configuration.GetSection("McpOAuth").Bind(options);
    options.KeyDirectory ??= Path.Combine(builder.Environment.ContentRootPath, "App_Data", "keys");
    options.ResourceName ??= "McpSseAuth sample server";

    if (builder.Environment.IsDevelopment())
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
