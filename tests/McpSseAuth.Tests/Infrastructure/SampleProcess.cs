using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// The sample server as a real process (<c>dotnet McpSseAuth.SampleServer.dll --urls http://127.0.0.1:PORT</c>, Development
/// environment: users alice and bob), built with the tests in the same configuration. <see cref="KillAsync"/> ends it as a
/// crash would, without a graceful shutdown; <see cref="StartAsync"/> starts it again on the same port with the same
/// settings. Its content root is a temporary folder of its own.
/// </summary>
/// <remarks>
/// The process ends when this object is disposed, when the test process exits, and — if the test process was killed — at
/// the next start of any SampleProcess, which kills samples whose test process is gone.
/// </remarks>
public sealed class SampleProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "mcpsseauth-sample-processes");
    private static readonly HashSet<SampleProcess> Running = [];

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private readonly string _folder;
    private Process? _process;

    static SampleProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        lock (Running)
        {
            foreach (var sample in Running)
            {
                sample.Kill();
            }
        }
    };

    /// <summary>A sample on 127.0.0.1:<paramref name="port"/> with these environment variables (e.g. <c>ConnectionStrings__Redis</c>); not started yet.</summary>
    public SampleProcess(int port, IReadOnlyDictionary<string, string> environment)
    {
        Port = port;
        _environment = environment;
        OwnedProcessFolders.KillOrphans(Root, "sample.pid", entireTree: true, "dotnet", "McpSseAuth.Sampl");
        _folder = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The sample's assembly, built next to the tests: samples/McpSseAuth.SampleServer/bin/{Configuration}/{TFM}/.</summary>
    public static string Assembly
    {
        get
        {
            var configuration = typeof(SampleProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
                ?? throw new InvalidOperationException("The test assembly names no configuration.");
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
            var path = Path.Combine(Repository.Root, "samples", "McpSseAuth.SampleServer", "bin", configuration, tfm, "McpSseAuth.SampleServer.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The sample is not built at {path}: build the tests (they reference it) in configuration {configuration}.", path);
        }
    }

    public int Port { get; }

    public Uri BaseAddress => new("http://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture));

    /// <summary>What the process wrote so far, for failure messages.</summary>
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

    /// <summary>Starts the sample (again) and returns once it answers <c>GET /</c>; does nothing while it runs.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Assembly, "--urls", BaseAddress.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the test says: nothing of the test host's own ASP.NET Core settings.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("McpOAuth__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        Append($"--- starting {Assembly} on {BaseAddress}");
        var process = Process.Start(start) ?? throw new InvalidOperationException("The sample could not be started.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await File.WriteAllTextAsync(Path.Combine(_folder, "sample.pid"), process.Id.ToString(CultureInfo.InvariantCulture));
        lock (Running)
        {
            Running.Add(this);
        }

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The sample exited with code {process.ExitCode} while starting on port {Port}. Its output:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync("/");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (clock.Elapsed > StartTimeout)
            {
                Kill();
                throw new TimeoutException($"The sample did not answer on port {Port} within {StartTimeout.TotalSeconds} s. Its output:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Kills the process (no graceful shutdown, as a crash) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
        lock (Running)
        {
            Running.Remove(this);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Kill()
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>The host that runs the tests (dotnet test sets DOTNET_HOST_PATH), else dotnet on the PATH.</summary>
    internal static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return "dotnet";
    }



}
