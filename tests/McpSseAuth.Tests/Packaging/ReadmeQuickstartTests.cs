using System.Xml.Linq;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Packaging;

/// <summary>
/// The README's quickstart, followed to the letter in a fresh folder against the packed packages: every command of it run,
/// every file of it written; then a real MCP client signs in through the app's OAuth flow and calls its tool over both
/// transports. When the README and the packages drift apart, this fails.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
public sealed class ReadmeQuickstartTests(PackedPackages packed)
{
    [Fact]
    public async Task ReadmeQuickstart_InAFreshFolder_GivesAServerWhereASignedInMcpClientCallsTheTool()
    {
        var quickstart = ReadmeQuickstart.Read(Path.Combine(Repository.Root, "README.md"));
        var home = Path.Combine(packed.Folder, "user");
        Directory.CreateDirectory(home);
        packed.WriteNuGetConfig(home);

        var environment = packed.InstallEnvironment("quickstart");
        var packages = environment["NUGET_PACKAGES"];
        var folder = home;
        string? user = null;
        string? password = null;
        DotnetRunApp? app = null;
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
                        DotnetRunApp.UseAFreePort(folder);
                        app = await DotnetRunApp.StartAsync(folder, words, environment, Path.Combine(packed.Folder, "app.pid"));
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

            await app.SignedInClientsCallTheToolAsync(user, password);
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
}
