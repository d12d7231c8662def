namespace McpSseAuth.GatewayHost;

/// <summary>
/// The host's own arguments — <c>--config FILE</c>, <c>--validate</c>, <c>--init</c>, <c>--help</c> — taken out of the
/// command line; the rest (<c>--urls</c>, <c>--environment</c>...) goes to ASP.NET Core as usual.
/// </summary>
internal sealed record GatewayCommandLine(string ConfigPath, bool Validate, bool Init, bool Help, string[] HostArgs, string? Error)
{
    public const string DefaultConfigFile = "gateway.json";

    public const string Usage = """
        Usage: mcp-gateway [--config FILE] [--validate | --init] [ASP.NET Core options such as --urls http://127.0.0.1:8080]

          --config FILE   The gateway's configuration: mcpServers (as Claude Desktop writes it), gateway, McpOAuth.
                          Default: gateway.json in the current folder. Environment variables and user secrets override it;
                          secrets belong there, never in the file.
          --validate      Check the configuration, print every problem with its place in the file, and exit
                          (0 when it is usable, 1 when not).
          --init          Write a commented example to the --config file (never over an existing file), and exit.
        """;

    public static GatewayCommandLine Parse(string[] args)
    {
        var config = DefaultConfigFile;
        bool validate = false, init = false, help = false;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" or "-c":
                    if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        return new(config, validate, init, help, [], "--config needs a file name.");
                    }

                    config = args[++i];
                    break;
                case "--validate":
                    validate = true;
                    break;
                case "--init":
                    init = true;
                    break;
                case "--help" or "-h" or "-?":
                    help = true;
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        return validate && init
            ? new(config, validate, init, help, [], "--validate and --init cannot go together: write the file with --init, then check it with --validate.")
            : new(Path.GetFullPath(config), validate, init, help, [.. rest], null);
    }
}
