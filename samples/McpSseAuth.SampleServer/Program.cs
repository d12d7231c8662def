using McpSseAuth.SampleServer;
using Microsoft.EntityFrameworkCore;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddMcpServer().WithTools<SampleTools>();
builder.Services.AddHttpClient();

// Where clients, grants, consents, refresh tokens, signing keys and Data Protection keys are kept, so a restart signs
// nobody out: Redis when ConnectionStrings:Redis is set (several instances, no sticky sessions), PostgreSQL through Entity
// Framework Core when ConnectionStrings:Postgres is set (several instances too; migrations applied at startup), otherwise a SQLite file
// (Storage:Sqlite, default App_Data/mcp-oauth.db, with the Data Protection keys in a folder beside it).
// Storage:Memory=true keeps everything in this process instead (McpSseAuth's default when no storage is configured):
// nothing survives a restart, so every user signs in and every client registers again. For trying things out and for
// benchmarks; it wins over the others.
var postgresStorage = false;
if (builder.Configuration.GetValue<bool>("Storage:Memory"))
{
    // No AddMcpOAuthSqlite/AddMcpOAuthRedis: clients, grants, tokens and signing keys in memory.
}
else if (builder.Configuration.GetConnectionString("Redis") is { Length: > 0 } redis)
{
    builder.Services.AddMcpOAuthRedis(redis);
}
else if (builder.Configuration.GetConnectionString("Postgres") is { Length: > 0 } postgres)
{
    // The company's PostgreSQL, through Entity Framework Core: McpSseAuth's tables in the app's own context.
    builder.Services.AddDbContext<SampleDbContext>(o => o.UseNpgsql(postgres));
    builder.Services.AddMcpOAuthEntityFrameworkCore<SampleDbContext>();
    postgresStorage = true;
}
else
{
    builder.Services.AddMcpOAuthSqlite(builder.Configuration["Storage:Sqlite"] ?? Path.Combine(builder.Environment.ContentRootPath, "App_Data", "mcp-oauth.db"));
}

// Traces and metrics through OpenTelemetry, exported when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/observability.md).
SampleTelemetry.AddFromConfiguration(builder);

// Readiness: McpSseAuth's storage, signing keys, bus and upstream providers; liveness: the process answers.
builder.Services.AddHealthChecks().AddMcpOAuthChecks("ready");

// An upstream OpenID Connect provider, when the "Upstream" section configures one (see docs/sign-in-and-consent.md).
var upstreamScheme = UpstreamSignIn.AddFromConfiguration(builder);

builder.Services.AddMcpOAuth(options =>
{
    // Issuer, Users (with PasswordHash), SignIn:AccessRules, ServiceTokens, Scopes, Tokens... from the "McpOAuth" section
    // (docs/configuration.md shows the JSON). A key that names no setting stops the app instead of being ignored.
    builder.Configuration.GetSection("McpOAuth").Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
    options.ResourceName ??= "McpSseAuth sample server";
    if (upstreamScheme is not null && !options.SignIn.Schemes.Contains(upstreamScheme))
    {
        options.SignIn.Schemes.Add(upstreamScheme);
    }

    // An extra scope, required by the server_stats tool: clients ask for it only when they call that tool.
    if (!options.Scopes.Supported.Any(s => s.Name == SampleScopes.Admin))
    {
        options.Scopes.Add(SampleScopes.Admin, "See statistics about your sessions on this server");
    }

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

if (postgresStorage)
{
    // The sample applies its migrations itself; in production, apply them as you apply your others.
    await using var scope = app.Services.CreateAsyncScope();
    await scope.ServiceProvider.GetRequiredService<SampleDbContext>().Database.MigrateAsync();
}

app.MapMcpSse();   // Streamable HTTP at /mcp, legacy SSE at /sse (+ /message), OAuth endpoints under /oauth
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
app.MapGet("/", () => Results.Text(
    "McpSseAuth sample MCP server.\n" +
    "Streamable HTTP: /mcp\nLegacy SSE:      /sse\n" +
    "OAuth metadata:  /.well-known/oauth-authorization-server\n" +
    "Health:          /health/ready, /health/live\n"));

app.Run();

/// <summary>The sample's entry point, visible to tests.</summary>
public partial class Program;
