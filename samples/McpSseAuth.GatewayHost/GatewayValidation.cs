using McpSseAuth.Gateway;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace McpSseAuth.GatewayHost;

/// <summary>
/// <c>--validate</c>: every problem of the configuration, each with its place in the file — the options' checks of
/// McpSseAuth and the gateway, keys that name no setting, secrets written in the file — then the exit code: 0 usable, 1 not.
/// </summary>
internal static class GatewayValidation
{
    public static async Task<int> RunAsync(WebApplication app, GatewayCommandLine command, TextWriter output)
    {
        var problems = new List<string>(GatewayConfigChecks.SecretsInFile(command.ConfigPath));
        problems.AddRange(GatewayConfigChecks.UnknownSettings(command.ConfigPath, "gateway", typeof(McpGatewayOptions)));
        problems.AddRange(GatewayConfigChecks.UnknownSettings(command.ConfigPath, "McpOAuth", typeof(McpOAuthOptions)));
        problems.AddRange(GatewayConnections.Problems(app.Configuration));
        var warnings = new List<string>(GatewayConfigChecks.UnknownServerKeys(command.ConfigPath));
        _ = Options<McpOAuthOptions>(app, "McpOAuth", problems);
        if (Options<McpGatewayOptions>(app, "gateway", problems) is { } gateway)
        {
            // The servers' health checks: commands on the PATH, remote servers answering.
            var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains(McpGatewayHealthChecksBuilderExtensions.Tag));
            warnings.AddRange(report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"mcpServers.{e.Key["mcp-server:".Length..]}: {e.Value.Description}"));
            if (gateway.McpServers.All(s => s.Value.Disabled))
            {
                warnings.Add("mcpServers: no server is enabled; the gateway has nothing to offer.");
            }
        }

        foreach (var warning in warnings.Order(StringComparer.Ordinal))
        {
            output.WriteLine("warning: " + warning);
        }

        problems = [.. problems.Distinct(StringComparer.Ordinal)];
        foreach (var problem in problems.Order(StringComparer.Ordinal))
        {
            output.WriteLine("error: " + problem);
        }

        output.WriteLine(problems.Count == 0
            ? $"{command.ConfigPath}: usable ({warnings.Count} warning(s))."
            : $"{command.ConfigPath}: {problems.Count} problem(s); the gateway would not start.");
        return problems.Count == 0 ? 0 : 1;
    }

    private static T? Options<T>(WebApplication app, string section, List<string> problems)
        where T : class
    {
        try
        {
            return app.Services.GetRequiredService<IOptions<T>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            // McpSseAuth names its settings by type (McpOAuthOptions.Tokens...); in this file they sit under McpOAuth.
            problems.AddRange(ex.Failures.Select(f => f.Replace("McpOAuthOptions.", "McpOAuth.", StringComparison.Ordinal)));
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"{section}: {ex.Message}");
        }

        return null;
    }
}
