using System.Globalization;
using System.Reflection;

namespace McpSseAuth.Benchmarks;

/// <summary>
/// The .NET servers under measurement, built with this runner in its configuration: the sample server (McpSseAuth, its
/// default SQLite storage in a fresh folder) and the baseline (the same MCP server without authentication).
/// </summary>
internal static class Servers
{
    /// <summary>Settings both .NET servers share: production-like logging (warnings and errors only) and no ASP.NET Core environment of the runner's.</summary>
    public static readonly IReadOnlyDictionary<string, string> Common = new Dictionary<string, string>()
    {
        // The sample's demo users exist in Development only; both run in it, so neither pays for what the other skips.
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    /// <summary>The repository's root folder (the one holding McpSseAuth.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>
    /// The sample server with McpSseAuth on a free port, in Development (demo users alice/alice and bob/bob), its SQLite
    /// file in <paramref name="dataFolder"/>, or its state on <paramref name="redis"/>, or else in memory
    /// (<c>Storage:Memory</c>). Limits meant for the open internet (registrations per address, sessions per user) are
    /// lifted so that one machine's driver can load it. Logging at Warning, unless <paramref name="defaultLogging"/> keeps
    /// the sample's own levels (Information, to the console). Several instances on one storage share one
    /// <paramref name="issuer"/> (the first one's address: its <paramref name="port"/> chosen beforehand).
    /// </summary>
    public static Task<ServerProcess> StartSampleAsync(string? dataFolder, string name = "McpSseAuth (sample)", string? redis = null, bool defaultLogging = false, int? port = null, Uri? issuer = null)
    {
        var environment = new Dictionary<string, string>(Common)
        {
            ["McpOAuth__Registration__MaxPerAddress"] = "100000000",
            ["McpOAuth__Registration__MaxClients"] = "100000000",
            ["McpOAuth__Tokens__MaxPendingAuthorizations"] = "100000000",
            ["McpOAuth__Sessions__MaxPerUser"] = "30000",
            ["McpOAuth__Sessions__MaxTotal"] = "30000",
        };
        if (dataFolder is not null)
        {
            environment["Storage__Sqlite"] = Path.Combine(dataFolder, "mcp-oauth.db");
        }
        else if (redis is not null)
        {
            environment["ConnectionStrings__Redis"] = redis;
        }
        else
        {
            environment["Storage__Memory"] = "true";
        }

        if (issuer is not null)
        {
            environment["McpOAuth__Issuer"] = issuer.ToString().TrimEnd('/');
        }

        if (defaultLogging)
        {
            environment.Remove("Logging__LogLevel__Default");
            environment.Remove("Logging__LogLevel__Microsoft.AspNetCore");
        }

        return StartDotnetAsync(name, Built("samples/McpSseAuth.SampleServer", "McpSseAuth.SampleServer"), environment, "/", port);
    }

    /// <summary>The baseline: the sample's MCP server without authentication (bench/McpSseAuth.BenchServer), on a free port.</summary>
    public static Task<ServerProcess> StartBaselineAsync()
        => StartDotnetAsync("No auth (baseline)", Built("bench/McpSseAuth.BenchServer", "McpSseAuth.BenchServer"), new Dictionary<string, string>(Common), "/ready");

    /// <summary>
    /// The same MCP server behind a hand-wired <c>AddJwtBearer</c> that validates <paramref name="sample"/>'s access tokens
    /// (its discovery document and JWKS), as .NET server authors wire it today, on a free port.
    /// </summary>
    public static Task<ServerProcess> StartJwtBearerAsync(ServerProcess sample)
        => StartDotnetAsync("Hand-wired JwtBearer", Built("bench/McpSseAuth.BenchServer", "McpSseAuth.BenchServer"), new Dictionary<string, string>(Common) { ["Authority"] = sample.BaseAddress.ToString().TrimEnd('/') }, "/ready");

    /// <summary>
    /// The floor: the same MCP server behind the cheapest authentication there is (a handler comparing the bearer with
    /// <paramref name="tokens"/> and returning a principal made once, plus <c>RequireAuthorization()</c>), on a free port.
    /// </summary>
    public static Task<ServerProcess> StartFloorAsync(IEnumerable<string> tokens)
        => StartDotnetAsync("Constant token (floor)", Built("bench/McpSseAuth.BenchServer", "McpSseAuth.BenchServer"), new Dictionary<string, string>(Common) { ["ConstantTokens"] = string.Join(' ', tokens) }, "/ready");

    /// <summary>A fresh folder under the system's temporary folder, for a server's files.</summary>
    public static string NewDataFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mcpsseauth-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static async Task<ServerProcess> StartDotnetAsync(string name, string assembly, Dictionary<string, string> environment, string readyPath, int? port = null)
    {
        var baseAddress = new Uri("http://127.0.0.1:" + (port ?? ServerProcess.FreePort()).ToString(CultureInfo.InvariantCulture));
        return await ServerProcess.StartAsync(
            name,
            "dotnet",
            [assembly, "--urls", baseAddress.ToString().TrimEnd('/')],
            environment,
            baseAddress,
            readyPath,
            Path.GetDirectoryName(assembly));
    }

    /// <summary>The assembly of a project built beside this runner (same configuration and framework).</summary>
    public static string Built(string projectFolder, string assemblyName)
    {
        var configuration = typeof(Servers).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var path = Path.Combine(RepositoryRoot, projectFolder, "bin", configuration, framework, assemblyName + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built: build bench/McpSseAuth.Benchmarks (it builds the servers too) in {configuration}.", path);
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "McpSseAuth.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("McpSseAuth.sln was not found above " + AppContext.BaseDirectory);
    }
}
