using McpOAuthServer;

var builder = WebApplication.CreateBuilder(args);

// The MCP server: its tools are in Tools.cs.
builder.Services.AddMcpServer().WithTools<Tools>();

// Where McpSseAuth keeps clients, grants, refresh tokens and its signing keys: a SQLite file, so a restart signs nobody out.
// Several instances behind a load balancer: McpSseAuth.Redis (builder.Services.AddMcpOAuthRedis("host:6379")), or your own
// database through McpSseAuth.EntityFrameworkCore (builder.Services.AddMcpOAuthEntityFrameworkCore<AppDbContext>()).
builder.Services.AddMcpOAuthSqlite(Path.Combine(builder.Environment.ContentRootPath, "App_Data", "mcp-oauth.db"));

// The authorization server: everything in the "McpOAuth" section of appsettings.json (commented there), and the local users
// of the "Users" section (user name → password; keep them in user secrets, never in appsettings.json).
builder.Services.AddMcpOAuth(options =>
{
    builder.Configuration.GetSection("McpOAuth").Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
    foreach (var user in builder.Configuration.GetSection("Users").GetChildren())
    {
        options.AddUser(user.Key, user.Value!);
    }

    // To sign users in through your identity provider instead (Entra ID, Okta, Google, Keycloak...): add its scheme, e.g.
    // builder.Services.AddAuthentication().AddOpenIdConnect("corp", o => { o.Authority = "..."; o.ClientId = "..."; });
    // then options.SignIn.Schemes.Add("corp"); and restrict who may enter with options.SignIn.AccessRules.
});

// Readiness (storage, signing keys, identity providers) and liveness, for a load balancer or Kubernetes.
builder.Services.AddHealthChecks().AddMcpOAuthChecks("ready");

var app = builder.Build();

app.MapMcpSse();   // Streamable HTTP at /mcp, legacy SSE at /sse + /message, the OAuth endpoints and pages under /oauth
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
app.MapHealthChecks("/health/live", new() { Predicate = _ => false });

app.Run();
