using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.Packaging;

/// <summary>The app as <c>dotnet run</c> starts it, on the address it reports.</summary>
internal sealed partial class DotnetRunApp : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DotnetRunApp(Process process) => _process = process;

    /// <summary>
    /// `dotnet new web` picks a random port in 5000-5300 for `dotnet run`; another program may hold it. The test gives the
    /// launch profile a port free right now, as a user would pick another one.
    /// </summary>
    public static void UseAFreePort(string folder)
    {
        var settings = Path.Combine(folder, "Properties", "launchSettings.json");
        var text = File.ReadAllText(settings);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var replaced = LocalhostUrl().Replace(text, $"http://localhost:{port}");
        Assert.NotEqual(text, replaced);
        File.WriteAllText(settings, replaced);
    }

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

    public static async Task<DotnetRunApp> StartAsync(string folder, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string pidFile)
    {
        var app = new DotnetRunApp(Commands.Start(folder, command, environment));
        await File.WriteAllTextAsync(pidFile, app._process.Id.ToString(CultureInfo.InvariantCulture));
        app._process.OutputDataReceived += (_, e) => app.Read(e.Data);
        app._process.ErrorDataReceived += (_, e) => app.Read(e.Data);
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        var exited = app._process.WaitForExitAsync();
        var first = await Task.WhenAny(app._listening.Task, exited, Task.Delay(StartTimeout));
        if (first != app._listening.Task)
        {
            var why = first == exited ? $"exited with {app._process.ExitCode}" : $"reported no address within {StartTimeout.TotalMinutes} minutes";
            await app.DisposeAsync();
            throw new InvalidOperationException($"'{string.Join(' ', command)}' {why}. Its output:\n{app.Output}");
        }

        app.BaseAddress = await app._listening.Task;
        return app;
    }

    /// <summary>A real MCP client signs in as <paramref name="user"/> through the app's OAuth flow and calls its one tool over
    /// Streamable HTTP and legacy SSE; the tool's answer names the user.</summary>
    public async Task SignedInClientsCallTheToolAsync(string user, string password)
    {
        try
        {
            foreach (var (path, mode) in new[] { ("/mcp", HttpTransportMode.StreamableHttp), ("/sse", HttpTransportMode.Sse) })
            {
                await using var client = await SdkClients.ConnectAsync(new Uri(BaseAddress, path), mode, user, password: password);
                var tool = Assert.Single(await client.ListToolsAsync());
                var result = await client.CallToolAsync(tool.Name, new Dictionary<string, object?>());
                Assert.NotEqual(true, result.IsError);
                Assert.Contains(user, SdkClients.TextOf(result), StringComparison.Ordinal);
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\nThe app's output:\n{Output}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (Listening().Match(line) is { Success: true } listening)
        {
            _listening.TrySetResult(new Uri(listening.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();

    [GeneratedRegex(@"http://localhost:[0-9]+")]
    private static partial Regex LocalhostUrl();
}
