using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace McpSseAuth.Tests.Packaging;

/// <summary>
/// The README's quickstart, followed to the letter in a fresh folder against the packed packages: every command of it run,
/// every file of it written; then a real MCP client signs in through the app's OAuth flow and calls its tool over both
/// transports. When the README and the packages drift apart, this fails.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
public sealed partial class ReadmeQuickstartTests(PackedPackages packed)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ReadmeQuickstart_InAFreshFolder_GivesAServerWhereASignedInMcpClientCallsTheTool()
    {
        var quickstart = ReadmeQuickstart.Read(Path.Combine(Repository.Root, "README.md"));
        var home = Path.Combine(packed.Folder, "user");
        Directory.CreateDirectory(home);
        WriteNuGetConfig(home);

        // A package folder of its own; and APPDATA, where `dotnet user-secrets` and the app keep user secrets (on every OS when
        // set), inside this run's folder, so nothing is left in the user's profile.
        var packages = Path.Combine(packed.Folder, "packages");
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = packages,
            ["APPDATA"] = Path.Combine(packed.Folder, "appdata"),
        };
        var folder = home;
        string? user = null;
        string? password = null;
        App? app = null;
        try
        {
            foreach (var step in quickstart.Steps)
            {
                if (step is ReadmeQuickstart.FileContent file)
                {
                    await File.WriteAllTextAsync(Path.Combine(folder, file.Name), file.Content);
                    continue;
                }

                var line = ((ReadmeQuickstart.Command)step).Line;
                var words = Commands.SplitWords(line);
                switch (words)
                {
                    case ["cd", var into]:
                        folder = Path.GetFullPath(Path.Combine(folder, into));
                        break;
                    case ["dotnet", "run", ..]:
                        Assert.Null(app);
                        UseAFreePort(folder);
                        app = await App.StartAsync(folder, words, environment, Path.Combine(packed.Folder, "app.pid"));
                        break;
                    default:
                        if (words is ["dotnet", "user-secrets", "set", var key, var value] && key.StartsWith("Users:", StringComparison.Ordinal))
                        {
                            (user, password) = (key["Users:".Length..], value);
                        }

                        await Commands.RunAsync(folder, words, environment, TimeSpan.FromMinutes(5));
                        break;
                }
            }

            Assert.True(app is not null, "The quickstart never runs the app ('dotnet run').");
            Assert.True(user is not null && password is not null, "The quickstart gives no user a password ('dotnet user-secrets set \"Users:<name>\" \"<password>\"').");

            // The packages the app restored are the ones packed by this run, from the local feed.
            var project = XDocument.Load(Directory.GetFiles(folder, "*.csproj").Single());
            var references = project.Descendants("PackageReference").ToDictionary(r => (string)r.Attribute("Include")!, r => (string)r.Attribute("Version")!, StringComparer.Ordinal);
            Assert.Equal(packed.Version, references["McpSseAuth"]);
            Assert.True(Directory.Exists(Path.Combine(packages, "mcpsseauth", packed.Version)), "McpSseAuth was not installed from this run's feed.");

            foreach (var (path, mode) in new[] { ("/mcp", HttpTransportMode.StreamableHttp), ("/sse", HttpTransportMode.Sse) })
            {
                await using var client = await SdkClients.ConnectAsync(new Uri(app.BaseAddress, path), mode, user, password: password);
                var tool = Assert.Single(await client.ListToolsAsync());
                var result = await client.CallToolAsync(tool.Name, new Dictionary<string, object?>());
                Assert.NotEqual(true, result.IsError);
                Assert.Contains(user, SdkClients.TextOf(result), StringComparison.Ordinal);
            }
        }
        catch (Exception e) when (app is not null && e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\nThe app's output:\n{app.Output}", e);
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// `dotnet new web` picks a random port in 5000-5300 for `dotnet run`; another program may hold it. The test gives the
    /// launch profile a port free right now, as a user would pick another one.
    /// </summary>
    private static void UseAFreePort(string folder)
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

    /// <summary>
    /// The local feed is the only source, so no package of the same name elsewhere can stand in. What the packages depend on is
    /// found in the machine's package folder (a read-only fallback), where the repository's own restore put it.
    /// </summary>
    private void WriteNuGetConfig(string folder)
    {
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        new XDocument(new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "local"), new XAttribute("value", packed.Feed))),
            new XElement("fallbackPackageFolders",
                new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", machinePackages)))))
            .Save(Path.Combine(folder, "nuget.config"));
    }

    /// <summary>The app as <c>dotnet run</c> starts it, on the address it reports.</summary>
    private sealed partial class App : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private App(Process process) => _process = process;

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

        public static async Task<App> StartAsync(string folder, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string pidFile)
        {
            var app = new App(Commands.Start(folder, command, environment));
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
    }

    [GeneratedRegex(@"http://localhost:[0-9]+")]
    private static partial Regex LocalhostUrl();
}
