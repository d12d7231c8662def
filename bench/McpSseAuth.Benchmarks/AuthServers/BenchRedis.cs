using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// A real redis-server (Debian package <c>redis-server</c>) on a free loopback port for one measure of the sample on Redis:
/// no persistence (RDB and AOF off), like the node servers' memory. Stopped and its folder deleted on dispose.
/// </summary>
internal sealed class BenchRedis : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private BenchRedis(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        ConnectionString = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>For <c>ConnectionStrings:Redis</c>.</summary>
    public string ConnectionString { get; }

    public static async Task<BenchRedis> StartAsync()
    {
        var port = ServerProcess.FreePort();
        var folder = Servers.NewDataFolder();
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException("redis-server is not installed: apt-get install redis-server (the README's test command installs it).", e);
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var redis = new BenchRedis(process, folder, port);
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(50))
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return redis;
            }
            catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
            }
            catch
            {
                await redis.DisposeAsync();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
