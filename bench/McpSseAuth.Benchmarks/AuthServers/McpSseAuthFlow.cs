namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>Where the sample server keeps McpSseAuth's state during a measure.</summary>
internal enum McpSseAuthStorage
{
    /// <summary>In memory (<c>Storage:Memory=true</c>), as the node servers keep theirs: the like-for-like comparison.</summary>
    Memory,

    /// <summary>A SQLite file in a fresh folder, the sample's default.</summary>
    Sqlite,

    /// <summary>A real redis-server of its own on loopback, without persistence (<see cref="BenchRedis"/>).</summary>
    Redis,

    /// <summary>In memory, with the sample's own logging (its appsettings.json: Information) rather than Warning.</summary>
    MemoryDefaultLogging,
}

/// <summary>
/// McpSseAuth as the repository's sample server runs it (Release build, Development environment for the demo users
/// alice/alice and bob/bob), with its state in memory or in a SQLite file in a fresh temporary folder, and with the
/// per-address registration limit and the store bounds lifted so a long run never meets them. A flow: POST
/// /oauth/register, GET /oauth/authorize (the consent page, 200), POST /oauth/consent (302 to the redirect URI), POST
/// /oauth/token.
/// </summary>
internal sealed class McpSseAuthFlow : IAuthServerFlow
{
    private const string Product = "McpSseAuth";

    private readonly AuthServerEndpoints _endpoints;
    private readonly string? _dataFolder;
    private readonly BenchRedis? _redis;

    private McpSseAuthFlow(ServerProcess server, McpSseAuthStorage storage, string? dataFolder, BenchRedis? redis)
    {
        Server = server;
        Name = NameOf(storage);
        _dataFolder = dataFolder;
        _redis = redis;
        _endpoints = new AuthServerEndpoints(server.BaseAddress, "/oauth/register", "/oauth/authorize", "/oauth/token", "username", "password", IssuesRefreshTokens: true);
    }

    public string Name { get; }

    public bool SupportsRefresh => true;

    public bool HasLogin => true;

    public ServerProcess Server { get; }

    /// <summary>What the tables call McpSseAuth with <paramref name="storage"/>.</summary>
    public static string NameOf(McpSseAuthStorage storage) => storage switch
    {
        McpSseAuthStorage.Memory => $"{Product} (memory)",
        McpSseAuthStorage.Sqlite => $"{Product} (SQLite)",
        McpSseAuthStorage.Redis => $"{Product} (Redis)",
        _ => $"{Product} (memory, Information logs)",
    };

    /// <summary>Whether a result's server name is one of McpSseAuth's variants.</summary>
    public static bool IsMcpSseAuth(string name) => name.StartsWith(Product, StringComparison.Ordinal);

    /// <summary>
    /// Starts the sample (<see cref="Servers.StartSampleAsync"/>). With <see cref="McpSseAuthStorage.Sqlite"/> its SQLite
    /// file goes to a new folder under <paramref name="dataRoot"/> (default: the system's temporary folder).
    /// </summary>
    public static async Task<McpSseAuthFlow> StartAsync(McpSseAuthStorage storage, string? dataRoot = null)
    {
        var dataFolder = storage != McpSseAuthStorage.Sqlite ? null
            : dataRoot is null
            ? Servers.NewDataFolder()
            : Directory.CreateDirectory(Path.Combine(dataRoot, "mcpsseauth-bench-" + Guid.NewGuid().ToString("N"))).FullName;
        var redis = storage == McpSseAuthStorage.Redis ? await BenchRedis.StartAsync() : null;
        try
        {
            var server = await Servers.StartSampleAsync(dataFolder, NameOf(storage), redis?.ConnectionString, defaultLogging: storage == McpSseAuthStorage.MemoryDefaultLogging);
            return new McpSseAuthFlow(server, storage, dataFolder, redis);
        }
        catch
        {
            if (dataFolder is not null)
            {
                Directory.Delete(dataFolder, recursive: true);
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }

            throw;
        }
    }

    public Task<IAuthServerUser> SignInAsync(CancellationToken ct) => BrowserUser.SignInAsync(_endpoints, ct);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_dataFolder is not null)
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
    }
}
