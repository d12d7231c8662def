using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>
/// The ready gateway host (samples/McpSseAuth.GatewayHost, built with the tests) as a real process in a folder of its
/// own: a command that exits (<see cref="RunAsync"/>), or a gateway serving on a free loopback port (<see cref="StartAsync"/>).
/// </summary>
public sealed partial class GatewayHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayHostProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string Assembly
    {
        get
        {
            var configuration = typeof(GatewayHostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
            var path = Path.Combine(Repository.Root, "samples", "McpSseAuth.GatewayHost", "bin", configuration, tfm, "McpSseAuth.GatewayHost.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The gateway host is not built at {path}: build the tests (they reference it).", path);
        }
    }

    /// <summary>Runs the host with <paramref name="arguments"/> in <paramref name="folder"/> until it exits.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string folder, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        await using var host = Start(folder, environment, arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host._process.WaitForExitAsync(timeout.Token);
        host._process.WaitForExit();   // the output's last lines
        return (host._process.ExitCode, host.Output);
    }

    /// <summary>Starts the gateway (Development: users alice and bob) and waits until it listens.</summary>
    public static async Task<GatewayHostProcess> StartAsync(string folder, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var host = Start(folder, environment, [.. arguments, "--environment", "Development", "--urls", "http://127.0.0.1:0"]);
        for (var waited = 0; waited < 60_000; waited += 50)
        {
            if (Listening().Match(host.Output) is { Success: true } match)
            {
                host.BaseAddress = new Uri(match.Groups[1].Value);
                return host;
            }

            if (host._process.HasExited)
            {
                break;
            }

            await Task.Delay(50);
        }

        var output = host.Output;
        await host.DisposeAsync();
        throw new InvalidOperationException("The gateway host did not start:\n" + output);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static GatewayHostProcess Start(string folder, IReadOnlyDictionary<string, string>? environment, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
        var host = new GatewayHostProcess(process);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
