using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server (Debian package <c>postgresql</c>; scripts/test.sh installs it) on a free loopback port, one for
/// the whole test run (<see cref="SharedAsync"/>), each test class in databases of its own (<see cref="CreateDatabaseAsync"/>).
/// Its cluster is made by <c>initdb</c> in a folder of the temp folder, with trust authentication on loopback only and
/// without fsync (the tests check behaviour, not durability); run as the <c>postgres</c> account when the tests run as root,
/// which PostgreSQL refuses to be. It stops when the test process exits; a run that was killed has it swept by the next.
/// Without PostgreSQL the fixture fails, never skips.
/// </summary>
public sealed class PostgresServer
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "mcpsseauth-postgres-tests");
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresServer? _shared;

    private readonly StringBuilder _output = new();
    private Process? _process;

    private PostgresServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>The administrator's connection string (database <c>postgres</c>).</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres;Pooling=false";

    /// <summary>What the server logged so far, for failure messages.</summary>
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

    /// <summary>The server of this test run, started at the first call.</summary>
    public static async Task<PostgresServer> SharedAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _shared ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// A new, empty database; its connection string. Its pool closes connections idle for 10 s (Npgsql keeps them 5 minutes
    /// by default): a run creates many databases, and connections left idle in the pools of finished tests would add up to
    /// the server's max_connections.
    /// </summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={name};Maximum Pool Size=50;Connection Idle Lifetime=10;Connection Pruning Interval=2";
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinaries();
        OwnedProcessFolders.KillOrphans(Root, "postgres.pid", entireTree: true, "postgres", "runuser", "sh");
        var folder = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", "postgres", folder);
        }

        var data = Path.Combine(folder, "data");
        await RunAsync(asRoot, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions");

        var server = new PostgresServer(FreePort());
        // A watchdog beside the server stops it (fast shutdown) once this test process is gone, however it ended.
        var postgres = string.Join(' ', new[]
        {
            Path.Combine(bin, "postgres"), "-D", data, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-k", folder,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=400",
        }.Select(a => "'" + a + "'"));
        var script = $"{postgres} & server=$!; while [ -d /proc/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} ] && [ -d /proc/$server ]; do sleep 1; done; kill -INT $server 2>/dev/null; wait $server";
        var start = new ProcessStartInfo(asRoot ? "runuser" : "sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in asRoot ? ["-u", "postgres", "--", "sh", "-c", script] : new[] { "-c", script })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("postgres could not be started.");
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        server._process = process;
        await File.WriteAllTextAsync(Path.Combine(folder, "postgres.pid"), process.Id.ToString(CultureInfo.InvariantCulture));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // gone already, or swept by the next run
            }
        };

        var deadline = Stopwatch.StartNew();
        while (!await server.AcceptsAsync())
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"PostgreSQL did not start on port {server.Port}. Its log:\n{server.Log}");
            }

            await Task.Delay(50);
        }

        return server;
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or IOException)
        {
            return false;
        }
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

    private static Task RunAsync(string file, params string[] arguments) => RunAsync(false, file, arguments);

    private static async Task RunAsync(bool asPostgres, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in asPostgres ? ["-u", "postgres", "--", file, .. arguments] : arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static string FindBinaries()
    {
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "postgres"))).OrderDescending().FirstOrDefault()
            : null;
        if (found is not null)
        {
            return found;
        }

        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? " (CI=true: it must be installed)" : "";
        throw new InvalidOperationException($"PostgreSQL is not installed{ci}: run 'sudo apt-get install postgresql' (scripts/test.sh does).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
