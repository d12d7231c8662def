using System.Text.Json;
using McpSseAuth.Gateway.Tests.Infrastructure;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace McpSseAuth.Gateway.Tests.EndToEnd;

/// <summary>
/// The ready host (<c>mcp-gateway</c>): <c>--init</c> writes an example that validates, <c>--validate</c> lists every problem
/// with its place in the file, a secret in the file stops it, and a Claude Desktop <c>mcpServers</c> block runs as it is.
/// </summary>
public sealed class GatewayHostTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mcpsseauth-gateway-host-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Init_WritesAnExampleThatValidates_AndNeverOverwritesAFile()
    {
        var (written, initOutput) = await GatewayHostProcess.RunAsync(_folder, null, "--init", "--config", "gateway.json");
        Assert.Equal(0, written);
        Assert.Contains("--validate", initOutput, StringComparison.Ordinal);
        var example = await File.ReadAllTextAsync(Path.Combine(_folder, "gateway.json"));
        Assert.Contains("// ", example, StringComparison.Ordinal);

        var (valid, validateOutput) = await GatewayHostProcess.RunAsync(_folder, null, "--validate", "--config", "gateway.json", "--environment", "Development");
        Assert.True(valid == 0, validateOutput);
        Assert.Contains("usable", validateOutput, StringComparison.Ordinal);

        var (again, againOutput) = await GatewayHostProcess.RunAsync(_folder, null, "--init", "--config", "gateway.json");
        Assert.Equal(1, again);
        Assert.Contains("exists already", againOutput, StringComparison.Ordinal);
        Assert.Equal(example, await File.ReadAllTextAsync(Path.Combine(_folder, "gateway.json")));
    }

    [Fact]
    public async Task Validate_ListsEveryProblemWithItsPlaceInTheFile_AndFails()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "bad.json"), """
            {
              // a comment is fine
              "mcpServers": {
                "gh": { "command": "node", "args": ["{{token}}"], "env": { "GITHUB_TOKEN": "ghp_written_here" }, "autoApprove": [] },
                "remote": { "type": "htp", "url": "https://example.com/mcp" }
              },
              "gateway": { "aggregate": { "separator": "::" }, "unknownThing": 1 },
              "McpOAuth": { "Tokens": { "AccessTokenLifetime": "-00:01:00" } }
            }
            """);

        var (exit, output) = await GatewayHostProcess.RunAsync(_folder, null, "--validate", "--config", "bad.json", "--environment", "Development");

        Assert.Equal(1, exit);
        Assert.Contains("error: mcpServers.gh.args: {{token}} cannot go in the arguments", output, StringComparison.Ordinal);
        Assert.Contains("error: mcpServers.gh.env.GITHUB_TOKEN: a secret written in bad.json", output, StringComparison.Ordinal);
        Assert.Contains("error: mcpServers.remote.type: 'htp' is not a transport", output, StringComparison.Ordinal);
        Assert.Contains("error: gateway.aggregate.separator:", output, StringComparison.Ordinal);
        Assert.Contains("error: gateway.unknownThing: names no setting.", output, StringComparison.Ordinal);
        Assert.Contains("error: McpOAuth.Tokens.AccessTokenLifetime must be positive", output, StringComparison.Ordinal);
        Assert.Contains("warning: mcpServers.gh.autoApprove: not a gateway setting; ignored.", output, StringComparison.Ordinal);
        Assert.Contains("6 problem(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecretWrittenInTheFile_StopsTheGateway_TheSameValueFromTheEnvironmentDoesNot()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "gateway.json"), Config(apiKey: "written-in-the-file"));
        var (exit, output) = await GatewayHostProcess.RunAsync(_folder, null, "--config", "gateway.json", "--environment", "Development", "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, exit);
        Assert.Contains("mcpServers.remote.headers.X-Api-Key: a secret written in gateway.json", output, StringComparison.Ordinal);
        Assert.DoesNotContain("written-in-the-file", output, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(_folder, "gateway.json"), Config(apiKey: ""));
        var environment = new Dictionary<string, string> { ["mcpServers__remote__headers__X-Api-Key"] = "from-the-environment" };
        var (valid, validOutput) = await GatewayHostProcess.RunAsync(_folder, environment, "--validate", "--config", "gateway.json", "--environment", "Development");
        Assert.True(valid == 0, validOutput);
    }

    [Fact]
    public async Task AClaudeDesktopConfig_RunsAsItIs_AndASignedInClientUsesItsServer()
    {
        var claudeDesktop = new Dictionary<string, object>
        {
            ["mcpServers"] = new Dictionary<string, object>
            {
                ["everything"] = new Dictionary<string, object> { ["command"] = "node", ["args"] = new[] { Everything.Entry, "stdio" }, ["env"] = new Dictionary<string, string> { ["GREETING"] = "hello" } },
            },
            ["Storage"] = new Dictionary<string, object> { ["Memory"] = true },
        };
        await File.WriteAllTextAsync(Path.Combine(_folder, "claude_desktop_config.json"), JsonSerializer.Serialize(claudeDesktop));
        var environment = new Dictionary<string, string> { ["McpOAuth__Registration__MaxPerAddress"] = "1000" };
        await using var host = await GatewayHostProcess.StartAsync(_folder, environment, "--config", "claude_desktop_config.json");

        await using var own = await SdkClients.ConnectAsync(new Uri(host.BaseAddress, "/everything/mcp"), HttpTransportMode.StreamableHttp, "alice");
        var echo = await own.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "through the host" });
        Assert.Contains("through the host", SdkClients.TextOf(echo), StringComparison.Ordinal);

        await using var aggregate = await SdkClients.ConnectAsync(new Uri(host.BaseAddress, "/sse"), HttpTransportMode.Sse, "bob");
        Assert.Contains(await aggregate.ListToolsAsync(), t => t.Name == "everything__echo");

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var health = JsonDocument.Parse(await http.GetStringAsync("/health"));
        Assert.Equal("Healthy", health.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", health.RootElement.GetProperty("checks").GetProperty("mcp-server:everything").GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheHost_PacksAsADotnetTool_ThatInstallsAndRuns()
    {
        var feed = Path.Combine(_folder, "feed");
        var tools = Path.Combine(_folder, "tools");
        var project = Path.Combine(Repository.Root, "samples", "McpSseAuth.GatewayHost", "McpSseAuth.GatewayHost.csproj");
        var configuration = typeof(GatewayHostTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false).Cast<System.Reflection.AssemblyConfigurationAttribute>().Single().Configuration;
        await RunAsync("dotnet", "pack", project, "-c", configuration, "--no-build", "-o", feed, "-p:NuGetAudit=false");
        await RunAsync("dotnet", "tool", "install", "mcpsseauth-gateway", "--tool-path", tools, "--add-source", feed, "--version", "0.1.0", "--ignore-failed-sources");

        var (exit, output) = await RunAsync(Path.Combine(tools, "mcp-gateway"), "--init", "--config", Path.Combine(_folder, "tool.json"));

        Assert.Equal(0, exit);
        Assert.Contains("Wrote", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_folder, "tool.json")));
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string fileName, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(fileName) { WorkingDirectory = _folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0 || fileName.EndsWith("mcp-gateway", StringComparison.Ordinal), $"{fileName} {string.Join(' ', arguments)} failed:\n{output}");
        return (process.ExitCode, output);
    }

    private static string Config(string apiKey) => $$"""
        {
          "mcpServers": { "remote": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "X-Api-Key": "{{apiKey}}" } } },
          "Storage": { "Memory": true }
        }
        """;
}
