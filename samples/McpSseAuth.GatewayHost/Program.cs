using McpSseAuth.GatewayHost;

// An MCP gateway from one configuration file (see GatewayCommandLine.Usage and docs/gateway.md).
var command = GatewayCommandLine.Parse(args);
if (command.Error is { } error)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(GatewayCommandLine.Usage);
    return 2;
}

if (command.Help)
{
    Console.WriteLine(GatewayCommandLine.Usage);
    return 0;
}

if (command.Init)
{
    return GatewayConfigFile.Init(command.ConfigPath, Console.Out, Console.Error);
}

if (!File.Exists(command.ConfigPath))
{
    Console.Error.WriteLine($"No configuration file at {command.ConfigPath}. Write an example with: mcp-gateway --init --config {command.ConfigPath}");
    return 2;
}

var app = GatewayApp.Build(command);
if (command.Validate)
{
    return await GatewayValidation.RunAsync(app, command, Console.Out);
}

// Secrets in the file stop the gateway before it serves anyone: they belong in user secrets or the environment.
var secrets = GatewayConfigChecks.SecretsInFile(command.ConfigPath).ToArray();
if (secrets.Length > 0)
{
    foreach (var secret in secrets)
    {
        Console.Error.WriteLine("error: " + secret);
    }

    return 1;
}

GatewayApp.Map(app);
await app.RunAsync();
return 0;

/// <summary>The gateway host's entry point, visible to tests.</summary>
public partial class Program;
