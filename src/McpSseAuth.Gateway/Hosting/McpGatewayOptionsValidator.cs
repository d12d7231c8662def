using System.Text.RegularExpressions;
using McpSseAuth.Gateway.Backends;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>
/// Checks the gateway's settings at startup; each failure names its place as in the configuration file
/// (<c>mcpServers.github.url</c>, <c>gateway.aggregate.separator</c>) and says how to fix it.
/// </summary>
internal sealed partial class McpGatewayOptionsValidator : IValidateOptions<McpGatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, McpGatewayOptions options)
    {
        var failures = new List<string>();
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var aggregate = options.Aggregate;
        if (aggregate.Enabled)
        {
            CheckPath(aggregate.StreamablePath, "gateway.aggregate.streamablePath", sse: false, paths, failures);
            if (aggregate.SsePath is not null)
            {
                CheckPath(aggregate.SsePath, "gateway.aggregate.ssePath", sse: true, paths, failures);
            }

            if (!ToolNameChars().IsMatch(aggregate.Separator))
            {
                failures.Add($"gateway.aggregate.separator: '{aggregate.Separator}' cannot join names: use 1 to 8 of the characters allowed in tool names (letters, digits, '_', '-', '.'), e.g. \"__\".");
            }
        }

        var processes = options.Processes;
        Positive(processes.MaxPerUser, "gateway.processes.maxPerUser", failures);
        Positive(processes.IdleTimeout, "gateway.processes.idleTimeout", failures);
        Positive(processes.StartTimeout, "gateway.processes.startTimeout", failures);
        Positive(processes.ShutdownTimeout, "gateway.processes.shutdownTimeout", failures);

        foreach (var (serverName, server) in options.McpServers)
        {
            var at = "mcpServers." + serverName;
            if (!ServerName().IsMatch(serverName))
            {
                failures.Add($"{at}: the name must be 1 to 64 letters, digits, '-' or '_': it is part of the server's paths and tool names.");
                continue;
            }

            if (server is null || server.Disabled)
            {
                continue;
            }

            CheckServer(at, serverName, server, paths, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckServer(string at, string serverName, McpGatewayServer server, Dictionary<string, string> paths, List<string> failures)
    {
        if (!BackendRoute.IsKnownType(server.Type))
        {
            failures.Add($"{at}.type: '{server.Type}' is not a transport: use \"stdio\", \"sse\" or \"http\" (Streamable HTTP).");
            return;
        }

        var kind = BackendRoute.KindOf(server);
        if (kind == BackendKind.Stdio)
        {
            if (string.IsNullOrWhiteSpace(server.Command))
            {
                failures.Add($"{at}.command: a stdio server needs the program to start, e.g. \"npx\".");
            }

            if (server.Url is not null)
            {
                failures.Add($"{at}: a server has either a command (stdio) or a url (remote), not both.");
            }

            if (server.Args.Any(a => UserValues.NamesIn(a).Contains(UserValues.TokenPlaceholder, StringComparer.Ordinal)))
            {
                failures.Add($"{at}.args: {Placeholder(UserValues.TokenPlaceholder)} cannot go in the arguments, which every user of the machine can read (ps): pass it in env.");
            }
        }
        else if (server.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{at}.url: a remote server needs an absolute http(s) URL, e.g. \"https://mcp.example.com/mcp\".");
        }
        else if (url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback)
        {
            failures.Add($"{at}.url: plain http to another machine would send its headers in clear: use https.");
        }

        foreach (var unknown in UserValues.Templates(server).SelectMany(UserValues.NamesIn).Where(n => !UserValues.IsKnown(n)).Distinct(StringComparer.Ordinal))
        {
            failures.Add($"{at}: {Placeholder(unknown)} names no value: use {KnownPlaceholders}.");
        }

        var route = BackendRoute.From(serverName, server);
        CheckPath(route.StreamablePath, at + ".streamablePath", sse: false, paths, failures);
        if (route.SsePath is not null)
        {
            CheckPath(route.SsePath, at + ".ssePath", sse: true, paths, failures);
        }

        Positive(server.RequestTimeout, at + ".requestTimeout", failures);
        foreach (var scope in server.RequiredScopes.Where(s => !ScopeToken().IsMatch(s)))
        {
            failures.Add($"{at}.requiredScopes: '{scope}' is not a scope token (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes).");
        }

        if (server.UserToken?.Service is { } service && !ServiceName().IsMatch(service))
        {
            failures.Add($"{at}.userToken.service: '{service}' must be letters, digits, '-', '_' or '.'.");
        }
    }

    private static void CheckPath(string path, string at, bool sse, Dictionary<string, string> paths, List<string> failures)
    {
        if (!path.StartsWith('/') || path.Contains('{', StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal))
        {
            failures.Add($"{at}: '{path}' must be a plain path starting with '/'.");
            return;
        }

        if (sse && !path.EndsWith("/sse", StringComparison.Ordinal))
        {
            failures.Add($"{at}: '{path}' must end in '/sse' (messages are posted beside it, to '/message').");
        }

        var owned = sse ? new[] { path, path[..^"/sse".Length] + "/message" } : [path];
        foreach (var p in owned)
        {
            if (paths.TryGetValue(p.TrimEnd('/'), out var other))
            {
                failures.Add($"{at}: '{p}' is already {other}'s path.");
            }
            else
            {
                paths[p.TrimEnd('/')] = at;
            }
        }
    }

    private const string KnownPlaceholders = "{{token}}, {{user.sub}}, {{user.email}} or {{user.name}}";

    private static string Placeholder(string name) => "{{" + name + "}}";

    private static void Positive(int value, string at, List<string> failures)
    {
        if (value <= 0)
        {
            failures.Add($"{at}: must be at least 1.");
        }
    }

    private static void Positive(TimeSpan value, string at, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{at}: must be longer than zero, e.g. \"00:05:00\".");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ServerName();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,8}$")]
    private static partial Regex ToolNameChars();

    [GeneratedRegex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$")]
    private static partial Regex ScopeToken();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ServiceName();
}
