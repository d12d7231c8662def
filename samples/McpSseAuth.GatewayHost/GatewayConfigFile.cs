using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace McpSseAuth.GatewayHost;

/// <summary>
/// The gateway's configuration file in the .NET configuration system: read after appsettings.json and before user secrets,
/// environment variables and the command line, which override it; comments allowed. <c>--init</c> writes an example.
/// </summary>
internal static class GatewayConfigFile
{
    public static void AddTo(IConfigurationBuilder configuration, string path)
    {
        var source = new JsonConfigurationSource
        {
            Path = Path.GetFileName(path),
            FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(path)!),
            Optional = false,
            ReloadOnChange = false,
        };
        var sources = configuration.Sources;
        var lastAppSettings = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource { Path: { } p } && p.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase)).i;
        sources.Insert(lastAppSettings + 1, source);
    }

    /// <summary>Writes the example to <paramref name="path"/> unless a file is there. 0 when written.</summary>
    public static int Init(string path, TextWriter output, TextWriter error)
    {
        if (File.Exists(path))
        {
            error.WriteLine($"{path} exists already: it was left as it is. Choose another name with --config.");
            return 1;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Example);
        output.WriteLine($"Wrote {path}. Check it with: mcp-gateway --validate --config {path}");
        return 0;
    }

    public const string Example = """
        // McpSseAuth gateway. Comments are allowed here. Secrets — API keys, client secrets, passwords — never go in this
        // file: set them in user secrets (dotnet user-secrets, in Development) or environment variables, which override it:
        //   mcpServers__docs__headers__X-Api-Key=...   Upstream__ClientSecret=...
        {
          // Where the gateway listens.
          "Urls": "http://127.0.0.1:8080",

          // The MCP servers behind the gateway, as Claude Desktop, Claude Code and Cursor write them. Each is reached at
          // /<name>/mcp (Streamable HTTP) and /<name>/sse (legacy SSE); all of them together at /mcp and /sse.
          "mcpServers": {
            // A stdio server, started for each user with this environment only (never the gateway's own).
            "everything": {
              "command": "npx",
              "args": ["-y", "@modelcontextprotocol/server-everything"],
              // The gateway's settings for a server sit beside command/url:
              "tools": { "block": ["get-env"] }
            },

            // A server that needs each user's own token, which they store on /oauth/tokens: {{token}} in env, never in args.
            "github": {
              "disabled": true,
              "command": "docker",
              "args": ["run", "--rm", "-i", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"],
              "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "{{token}}" },
              "userToken": { "displayName": "GitHub", "description": "A personal access token from https://github.com/settings/tokens" },
              "accessRules": { "allowedEmailDomains": ["example.com"] }
            },

            // A remote server with a static API key, set in the environment: mcpServers__docs__headers__X-Api-Key=...
            "docs": {
              "disabled": true,
              "type": "http",
              "url": "https://docs-mcp.example.com/mcp",
              "headers": { "X-Api-Key": "" }
            }
          },

          "gateway": {
            "aggregate": { "streamablePath": "/mcp", "ssePath": "/sse", "separator": "__" },
            "processes": { "maxPerUser": 10, "idleTimeout": "00:15:00" }
          },

          // The authorization server (McpSseAuth's docs/configuration.md).
          "McpOAuth": {
            // Your public https URL in production; unset, it follows each request.
            // "Issuer": "https://mcp.example.com",
            "ResourceName": "MCP gateway"
          },

          // Sign-in through your OpenID Connect provider (Google, Entra ID, Okta...), its secret in Upstream__ClientSecret.
          // In Development, local users alice and bob (passwords alice and bob) exist as well.
          // "Upstream": { "Authority": "https://accounts.google.com", "ClientId": "...", "DisplayName": "Google" },

          // Where sign-ins, clients and tokens are kept: a SQLite file beside this one; ConnectionStrings:Redis for several instances.
          "Storage": { "Sqlite": "App_Data/gateway.db" }
        }

        """;
}
