using McpSseAuth.SampleServer;

namespace McpSseAuth.GatewayHost;

/// <summary>The gateway app from its configuration file: storage, sign-in, McpSseAuth and the gateway.</summary>
internal static class GatewayApp
{
    public static WebApplication Build(GatewayCommandLine command)
    {
        var builder = WebApplication.CreateBuilder(command.HostArgs);
        GatewayConfigFile.AddTo(builder.Configuration, command.ConfigPath);
        var folder = Path.GetDirectoryName(command.ConfigPath)!;
        // A key that names no setting stops the gateway; --validate lists each with its place in the file instead.
        var strict = !command.Validate;

        // Sign-ins, clients, grants, signing keys and user tokens: Redis for several instances, else a SQLite file beside
        // the configuration (Storage:Sqlite, relative to it); Storage:Memory=true keeps them in this process only.
        if (builder.Configuration.GetValue<bool>("Storage:Memory"))
        {
            // McpSseAuth's default: memory.
        }
        else if (builder.Configuration.GetConnectionString("Redis") is { Length: > 0 } redis)
        {
            builder.Services.AddMcpOAuthRedis(redis);
        }
        else
        {
            builder.Services.AddMcpOAuthSqlite(Path.Combine(folder, builder.Configuration["Storage:Sqlite"] ?? Path.Combine("App_Data", "gateway.db")));
        }

        var upstreamScheme = UpstreamSignIn.AddFromConfiguration(builder);
        var connectSchemes = GatewayConnections.AddFromConfiguration(builder);
        builder.Services.AddMcpOAuth(options =>
        {
            builder.Configuration.GetSection("McpOAuth").Bind(options, binder => binder.ErrorOnUnknownConfiguration = strict);
            options.ResourceName ??= "MCP gateway";
            if (upstreamScheme is not null && !options.SignIn.Schemes.Contains(upstreamScheme))
            {
                options.SignIn.Schemes.Add(upstreamScheme);
            }

            if (builder.Environment.IsDevelopment() && !builder.Configuration.GetValue<bool>("NoDemoUsers"))
            {
                options.AddUser("alice", "alice").AddUser("bob", "bob");   // demo users, in Development only
            }
        });
        builder.Services.AddMcpGateway(options =>
        {
            builder.Configuration.GetSection("gateway").Bind(options, binder => binder.ErrorOnUnknownConfiguration = strict);
            // Server entries may carry other clients' keys (Claude Desktop, Cursor...): they are left alone (--validate lists them).
            builder.Configuration.GetSection("mcpServers").Bind(options.McpServers);
            foreach (var (name, scheme) in connectSchemes)
            {
                if (options.McpServers.TryGetValue(name, out var server))
                {
                    server.UserToken ??= new McpSseAuth.Gateway.McpGatewayUserToken();
                    server.UserToken.ConnectScheme ??= scheme;
                }
            }
        });

        builder.Services.AddHealthChecks().AddMcpGatewayServers("ready");
        return builder.Build();
    }

    /// <summary>The gateway's endpoints (which need valid options: <c>--validate</c> checks them first without mapping).</summary>
    public static void Map(WebApplication app)
    {
        app.MapMcpGateway();
        GatewayHealth.Map(app);
        app.MapGet("/", (Microsoft.Extensions.Options.IOptions<McpSseAuth.Gateway.McpGatewayOptions> gateway) => Results.Text(
            "McpSseAuth gateway.\n" + string.Concat(gateway.Value.McpServers.Where(s => !s.Value.Disabled).Select(s =>
                $"{s.Key}: {s.Value.StreamablePath ?? $"/{s.Key}/mcp"}\n"))));
    }
}
