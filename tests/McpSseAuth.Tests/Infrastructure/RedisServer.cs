using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> (Debian package <c>redis-server</c>; scripts/test.sh installs it) on a free loopback port, for
/// one test class: <c>IClassFixture&lt;RedisServer&gt;</c>, or <c>await using var redis = new RedisServer(); await
/// redis.InitializeAsync();</c>. Nothing is saved by snapshot; every write is in an append-only file fsynced before Redis
/// answers, so <see cref="StopAsync"/> (a kill, as in a crash) and <see cref="StartAsync"/> lose nothing. A class that
/// stops the server must own it: test classes run in parallel. Without redis-server the fixture fails, never skips.
/// </summary>
/// <remarks>
/// The server ends when this object is disposed, when the test process exits, and — if the process was killed — at the
/// next start of any RedisServer, which kills servers whose test process is gone.
/// </remarks>
public sealed class RedisServer : IAsyncLifetime, IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "mcpsseauth-redis-tests");
    private static readonly HashSet<RedisServer> Running = [];

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _folder;
    private int _port;

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        lock (Running)
        {
            foreach (var server in Running)
            {
                server.Kill();
            }
        }
    };

    /// <summary><c>127.0.0.1:PORT</c>, a StackExchange.Redis configuration string (and what <c>AddMcpOAuthRedis</c> takes).</summary>
    public string ConnectionString => _port == 0
        ? throw new InvalidOperationException("The Redis server has not started: await InitializeAsync() first (xUnit does for a fixture).")
        : "127.0.0.1:" + _port.ToString(CultureInfo.InvariantCulture);

    /// <summary>What redis-server logged so far (warnings and errors), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server on a free port (xUnit calls this for a fixture).</summary>
    public Task InitializeAsync() => StartAsync();

    /// <summary>
    /// Starts the server, again on the same port and data folder after <see cref="StopAsync"/>, and returns once it answers
    /// PING with its data loaded. Does nothing while it runs.
    /// </summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        var executable = FindExecutable();
        if (_folder is null)
        {
            OwnedProcessFolders.KillOrphans(Root, "redis.pid", entireTree: false, "redis-server");
            _folder = Path.Combine(Root, Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
            await File.WriteAllTextAsync(Path.Combine(_folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            _port = FreePort();
        }

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--port", _port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--protected-mode", "yes",
            "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", _folder,
            "--pidfile", Path.Combine(_folder, "redis.pid"), "--daemonize", "no", "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} could not be started.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        lock (Running)
        {
            Running.Add(this);
        }

        var deadline = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {_port}. Its log:\n{Log}");
            }

            if (deadline.Elapsed > StartTimeout)
            {
                Kill();
                throw new TimeoutException($"redis-server did not answer PING on port {_port} within {StartTimeout.TotalSeconds} s. Its log:\n{Log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Kills the server (as a crash would) and waits until it is gone; its data stays for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    /// <summary>Stops the server and deletes its data.</summary>
    public async Task DisposeAsync()
    {
        await StopAsync();
        lock (Running)
        {
            Running.Remove(this);
        }

        if (_folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

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

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, _port).WaitAsync(TimeSpan.FromSeconds(2));
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);   // "-LOADING" while reading its file
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private static string FindExecutable()
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]);
        var found = folders.Select(f => Path.Combine(f, "redis-server")).FirstOrDefault(File.Exists);
        if (found is not null)
        {
            return found;
        }

        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? " (CI=true: it must be installed)" : "";
        throw new InvalidOperationException($"redis-server is not installed{ci}: run 'sudo apt-get install redis-server' (scripts/test.sh does).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }



}
