using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Diagnostics.Tracing;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;

namespace McpSseAuth.Benchmarks;

/// <summary>
/// A server under measurement as a process of its own (a built .NET app or a node script) on 127.0.0.1: started, probed
/// until it answers, read for memory and CPU time from /proc, and killed with its children when disposed.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    /// <summary>What the process wrote, for error messages.</summary>
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

    /// <summary>Resident memory (VmRSS) in bytes.</summary>
    public long ResidentBytes => ReadStatusKilobytes("VmRSS:") * 1024;

    /// <summary>
    /// Makes a .NET server run a full blocking garbage collection, through its diagnostics port (the way dotnet-gcdump
    /// does), so that its memory is read without garbage that happens not to be collected yet.
    /// </summary>
    public async Task CollectGarbageAsync()
    {
        var client = new DiagnosticsClient(_process.Id);
        const long GCHeapCollectKeyword = 0x800000;
        using var session = client.StartEventPipeSession(
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GCHeapCollectKeyword),
            requestRundown: false);
        await Task.Delay(TimeSpan.FromSeconds(1));
        session.Stop();
        await Task.Delay(TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// The bytes of live objects on a .NET server's heap, from a heap snapshot taken by dotnet-gcdump (the local tool of
    /// bench/dotnet-tools.json; <c>dotnet tool restore</c> in bench/ installs it). Taking the snapshot collects garbage first.
    /// </summary>
    public async Task<long> LiveHeapBytesAsync()
    {
        var bench = Path.Combine(Servers.RepositoryRoot, "bench");
        var dump = Path.Combine(Path.GetTempPath(), $"mcpsseauth-bench-{_process.Id}-{Guid.NewGuid():N}.gcdump");
        try
        {
            await RunToolAsync(bench, "gcdump", "collect", "-p", _process.Id.ToString(CultureInfo.InvariantCulture), "-o", dump);
            var report = await RunToolAsync(bench, "gcdump", "report", dump);
            // The first line reads "  125,748,418  GC Heap bytes".
            var first = report.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(l => l.EndsWith("GC Heap bytes", StringComparison.Ordinal))
                ?? throw new InvalidOperationException("dotnet-gcdump printed no heap size:\n" + report);
            return long.Parse(first.Split(' ')[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    private static async Task<string> RunToolAsync(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var tool = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
        var output = tool.StandardOutput.ReadToEndAsync();
        var error = tool.StandardError.ReadToEndAsync();
        await tool.WaitForExitAsync();
        return tool.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed ({tool.ExitCode}): {await output}{await error} (run 'dotnet tool restore' in bench/)");
    }

    /// <summary>User + system CPU time the process used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> and waits until <c>GET {readyPath}</c> answers 2xx
    /// (any status, with <paramref name="anyAnswer"/>: for servers that have no page to ask).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        Uri baseAddress,
        string readyPath,
        string? workingDirectory = null,
        bool anyAnswer = false)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} could not be started.");
        var server = new ServerProcess(name, process, baseAddress);
        try
        {
            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{name} exited with code {process.ExitCode} while starting. Its output:\n{server.Output}");
                }

                try
                {
                    using var response = await http.GetAsync(new Uri(readyPath, UriKind.Relative));
                    if (response.IsSuccessStatusCode || anyAnswer)
                    {
                        return server;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }

                if (clock.Elapsed > TimeSpan.FromSeconds(90))
                {
                    throw new TimeoutException($"{name} did not answer GET {readyPath} on {baseAddress} within 90 s. Its output:\n{server.Output}");
                }

                await Task.Delay(200);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A free loopback port (asked of the system; the server binds it a moment later).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

    private long ReadStatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{_process.Id}/status has no {field}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}
