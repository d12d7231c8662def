using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.Configuration.UserSecrets;
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

        // A package folder of its own, so the packages installed are the ones just packed and not a cached copy of the same version;
        // everything else is found in the machine's package folder.
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(packed.Folder, "packages") };
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

            // The packages the app restored are the ones packed here, from the local feed.
            var project = XDocument.Load(Directory.GetFiles(folder, "*.csproj").Single());
            var references = project.Descendants("PackageReference").ToDictionary(r => (string)r.Attribute("Include")!, r => (string)r.Attribute("Version")!, StringComparer.Ordinal);
            Assert.Equal(PackageVersionOf("McpSseAuth"), references["McpSseAuth"]);

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

            // dotnet user-secrets keeps the secrets in the user's profile, outside the app's folder.
            foreach (var project in Directory.EnumerateFiles(home, "*.csproj", SearchOption.AllDirectories))
            {
                if (XDocument.Load(project).Descendants("UserSecretsId").FirstOrDefault()?.Value is { Length: > 0 } id
                    && Path.GetDirectoryName(PathHelper.GetSecretsPathFromSecretsId(id)) is { } secrets && Directory.Exists(secrets))
                {
                    Directory.Delete(secrets, recursive: true);
                }
            }
        }
    }

    /// <summary>The packages under test come only from the local feed (a package of the same name elsewhere cannot stand in), the rest from nuget.org.</summary>
    private void WriteNuGetConfig(string folder)
    {
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var ours = packed.Projects.Select(p => new XElement("package", new XAttribute("pattern", p)));
        new XDocument(new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "local"), new XAttribute("value", packed.Feed)),
                new XElement("add", new XAttribute("key", "nuget.org"), new XAttribute("value", "https://api.nuget.org/v3/index.json"))),
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "local"), ours),
                new XElement("packageSource", new XAttribute("key", "nuget.org"), new XElement("package", new XAttribute("pattern", "*")))),
            new XElement("fallbackPackageFolders",
                new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", machinePackages)))))
            .Save(Path.Combine(folder, "nuget.config"));
    }

    private string PackageVersionOf(string id) => Directory.GetFiles(packed.Feed, id + ".*.nupkg")
        .Select(f => Path.GetFileNameWithoutExtension(f)[(id.Length + 1)..])
        .Single(v => char.IsAsciiDigit(v[0]));

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
}
