using System.Globalization;
using System.Xml.Linq;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// Every project under <c>src/</c> packed as a release is: from a copy of the working tree committed to its own git repository
/// whose <c>origin</c> is a GitHub URL (so SourceLink and the repository metadata have something to read), with
/// <c>ContinuousIntegrationBuild</c>, into a local folder feed. The copy keeps the tests' own build output untouched.
/// Each run packs a version of its own (<see cref="Version"/>), so no package cached by an earlier run can stand in for these.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    /// <summary>The origin the copy is packed from; the packages must name it and point SourceLink at it.</summary>
    public const string RepositoryUrl = "https://github.com/example/McpSseAuth.git";

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "mcpsseauth-packages");
    private static readonly string[] Copied = ["src/", "docs/", "Directory.Build.props", "Directory.Packages.props", "global.json", "nuget.config", "README.md", "LICENSE"];

    public PackedPackages()
    {
        OwnedProcessFolders.KillOrphans(Root, "app.pid", entireTree: true, "dotnet", "MyMcpServer");
        Folder = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>This run's folder: the copy, the feed, and room for apps that install the packages.</summary>
    public string Folder { get; }

    public string Source => Path.Combine(Folder, "repository");

    public string Feed => Path.Combine(Folder, "feed");

    /// <summary>The version of this run's packages: stable, so <c>dotnet add package</c> without a version takes it, and unique.</summary>
    public string Version { get; } = "0.1.0." + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>The commit of the copy, which the packages must name.</summary>
    public string Commit { get; private set; } = "";

    /// <summary>The projects under src/, each of which must yield a package.</summary>
    public IReadOnlyList<string> Projects { get; private set; } = [];

    public async Task InitializeAsync()
    {
        // safe.directory: a checkout owned by another user than the one running the tests is still read.
        var files = (await Commands.RunAsync(Repository.Root, ["git", "-c", "safe.directory=*", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", .. Copied]))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => File.Exists(Path.Combine(Repository.Root, f)))
            .ToList();
        foreach (var file in files)
        {
            var target = Path.Combine(Source, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(Repository.Root, file), target);
        }

        await Commands.RunAsync(Source, ["git", "init", "--quiet", "--initial-branch", "main"]);
        await Commands.RunAsync(Source, ["git", "add", "--all"]);
        await Commands.RunAsync(Source, ["git", "-c", "user.name=McpSseAuth tests", "-c", "user.email=tests@localhost", "commit", "--quiet", "--no-gpg-sign", "-m", "Packed by the packaging tests"]);
        await Commands.RunAsync(Source, ["git", "remote", "add", "origin", RepositoryUrl]);
        Commit = (await Commands.RunAsync(Source, ["git", "rev-parse", "HEAD"])).Trim();

        Projects = Directory.GetDirectories(Path.Combine(Source, "src"))
            .Select(d => Path.Combine(d, Path.GetFileName(d) + ".csproj"))
            .Where(File.Exists)
            .Select(p => Path.GetFileNameWithoutExtension(p))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var project in Projects)
        {
            await Commands.RunAsync(Source, ["dotnet", "pack", $"src/{project}/{project}.csproj", "--configuration", "Release", "--output", Feed, "-p:ContinuousIntegrationBuild=true", $"-p:PackageVersion={Version}"], timeout: TimeSpan.FromMinutes(10));
        }
    }

    /// <summary>
    /// The local feed is the only source, so no package of the same name elsewhere can stand in. What the packages depend on is
    /// found in the machine's package folder (a read-only fallback), where the repository's own restore put it.
    /// </summary>
    public void WriteNuGetConfig(string folder)
    {
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        new XDocument(new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "local"), new XAttribute("value", Feed))),
            new XElement("fallbackPackageFolders",
                new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", machinePackages)))))
            .Save(Path.Combine(folder, "nuget.config"));
    }


    /// <summary>What a command that installs the packages runs with: a package folder of its own, and APPDATA — where
    /// <c>dotnet user-secrets</c> and the app keep user secrets (on every OS when set) — inside this run's folder, so nothing
    /// is left in the user's profile.</summary>
    public IReadOnlyDictionary<string, string> InstallEnvironment(string name) => new Dictionary<string, string>
    {
        ["NUGET_PACKAGES"] = Path.Combine(Folder, name, "packages"),
        ["APPDATA"] = Path.Combine(Folder, name, "appdata"),
    };

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class PackedPackagesGroup : ICollectionFixture<PackedPackages>
{
    public const string Name = "Packed packages";
}
