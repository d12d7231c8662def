using System.Globalization;

namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// McpSseAuth as the repository's sample server runs it (Release build, SQLite storage in a fresh temporary folder,
/// Development environment for the demo users alice/alice and bob/bob), with the per-address registration limit and
/// the store bounds lifted so a long run never meets them. A flow: POST /oauth/register, GET /oauth/authorize (the
/// consent page, 200), POST /oauth/consent (302 to the redirect URI), POST /oauth/token.
/// </summary>
internal sealed class McpSseAuthFlow : IAuthServerFlow
{
    private readonly AuthServerEndpoints _endpoints;
    private readonly string _dataFolder;

    private McpSseAuthFlow(ServerProcess server, string dataFolder)
    {
        Server = server;
        _dataFolder = dataFolder;
        _endpoints = new AuthServerEndpoints(server.BaseAddress, "/oauth/register", "/oauth/authorize", "/oauth/token", "username", "password", IssuesRefreshTokens: true);
    }

    public string Name => "McpSseAuth";

    public bool SupportsRefresh => true;

    public ServerProcess Server { get; }

    /// <summary>
    /// Starts the sample's Release build; it must have been built (<c>dotnet build samples/McpSseAuth.SampleServer -c Release</c>).
    /// Its SQLite file goes to a new folder under <paramref name="dataRoot"/> (default: the system's temporary folder).
    /// </summary>
    public static async Task<McpSseAuthFlow> StartAsync(string? dataRoot = null)
    {
        var dll = Path.Combine(BenchPaths.RepoRoot, "samples", "McpSseAuth.SampleServer", "bin", "Release", "net10.0", "McpSseAuth.SampleServer.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: run 'dotnet build samples/McpSseAuth.SampleServer -c Release' in {BenchPaths.RepoRoot}.");
        }

        var dataFolder = dataRoot is null
            ? Directory.CreateTempSubdirectory("mcpsseauth-bench-").FullName
            : Directory.CreateDirectory(Path.Combine(dataRoot, "mcpsseauth-bench-" + Guid.NewGuid().ToString("N"))).FullName;
        var port = ServerProcess.FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        try
        {
            var server = await ServerProcess.StartAsync(
                "McpSseAuth",
                "dotnet",
                [dll, "--urls", baseAddress.AbsoluteUri.TrimEnd('/')],
                new Dictionary<string, string>
                {
                    ["ASPNETCORE_ENVIRONMENT"] = "Development",
                    ["Logging__LogLevel__Default"] = "Warning",
                    ["Storage__Sqlite"] = Path.Combine(dataFolder, "mcp-oauth.db"),
                    ["McpOAuth__MaxRegistrationsPerAddress"] = "100000000",
                    ["McpOAuth__MaxRegisteredClients"] = "100000000",
                    ["McpOAuth__MaxPendingAuthorizations"] = "100000000",
                },
                baseAddress,
                "/",
                workingDirectory: Path.GetDirectoryName(dll));
            return new McpSseAuthFlow(server, dataFolder);
        }
        catch
        {
            Directory.Delete(dataFolder, recursive: true);
            throw;
        }
    }

    public Task<IAuthServerUser> SignInAsync(CancellationToken ct) => BrowserUser.SignInAsync(_endpoints, ct);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_dataFolder, recursive: true);
    }
}
