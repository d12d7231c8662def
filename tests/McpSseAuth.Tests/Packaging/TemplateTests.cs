using System.Xml.Linq;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Packaging;

/// <summary>
/// The template package as a new user meets it: <c>dotnet new install</c> of this run's package, <c>dotnet new
/// mcp-oauth-server</c>, a user in user secrets, <c>dotnet run</c>; then a real MCP client signs in and calls the tool over
/// both transports, and the health checks answer.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
public sealed class TemplateTests(PackedPackages packed)
{
    private const string User = "alice";
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task DotnetNew_McpOAuthServer_MakesAProjectThatRunsAndSignsARealClientIn()
    {
        var home = Path.Combine(packed.Folder, "template");
        Directory.CreateDirectory(home);
        packed.WriteNuGetConfig(home);
        var environment = packed.InstallEnvironment("template");

        // A template hive of its own: nothing is installed into the user's dotnet new.
        var hive = Path.Combine(home, "hive");
        var templatePackage = Path.Combine(packed.Feed, $"McpSseAuth.Templates.{packed.Version}.nupkg");
        await Commands.RunAsync(home, ["dotnet", "new", "install", templatePackage, "--debug:custom-hive", hive], environment, TimeSpan.FromMinutes(2));
        await Commands.RunAsync(home, ["dotnet", "new", "mcp-oauth-server", "-o", "MyMcpServer", "--debug:custom-hive", hive], environment, TimeSpan.FromMinutes(2));
        var folder = Path.Combine(home, "MyMcpServer");

        // The project is named after the folder, references the McpSseAuth packages of the template's own version, and has a
        // user-secrets id of its own.
        var project = XDocument.Load(Path.Combine(folder, "MyMcpServer.csproj"));
        var references = project.Descendants("PackageReference").ToDictionary(r => (string)r.Attribute("Include")!, r => (string)r.Attribute("Version")!, StringComparer.Ordinal);
        Assert.Equal(packed.Version, references["McpSseAuth"]);
        Assert.Equal(packed.Version, references["McpSseAuth.Sqlite"]);
        var secretsId = project.Descendants("UserSecretsId").Single().Value;
        Assert.True(Guid.TryParse(secretsId, out _), secretsId);
        Assert.NotEqual("8f0c6c0e-2f7b-4d2a-9a5e-6b3f7d1c2e4a", secretsId);
        Assert.Contains("namespace MyMcpServer;", await File.ReadAllTextAsync(Path.Combine(folder, "Tools.cs")), StringComparison.Ordinal);

        // The settings a new user changes most are written out, each with a comment saying what it does.
        var settings = await File.ReadAllTextAsync(Path.Combine(folder, "appsettings.json"));
        foreach (var setting in new[] { "\"Issuer\"", "\"ResourceName\": \"MyMcpServer\"", "\"AccessTokenLifetime\"", "\"RefreshTokenLifetime\"", "\"Enabled\"", "\"AllowedEmailDomains\"", "\"MaxPerUser\"", "\"AllowedOrigins\"", "\"AllowedUsers\"", "\"McpSseAuth.Audit\"" })
        {
            var line = settings.Split('\n').Select((l, i) => (Line: l, Index: i)).Single(l => l.Line.Contains(setting, StringComparison.Ordinal));
            Assert.Contains("//", settings.Split('\n')[line.Index - 1] + line.Line, StringComparison.Ordinal);
        }

        await Commands.RunAsync(folder, ["dotnet", "user-secrets", "set", $"Users:{User}", Password], environment, TimeSpan.FromMinutes(2));
        DotnetRunApp.UseAFreePort(folder);
        await using var app = await DotnetRunApp.StartAsync(folder, ["dotnet", "run"], environment, Path.Combine(packed.Folder, "app.pid"));
        Assert.True(Directory.Exists(Path.Combine(environment["NUGET_PACKAGES"], "mcpsseauth.sqlite", packed.Version)), "McpSseAuth.Sqlite was not installed from this run's feed.");

        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        foreach (var probe in new[] { "/health/ready", "/health/live" })
        {
            using var response = await http.GetAsync(new Uri(probe, UriKind.Relative));
            Assert.True(response.IsSuccessStatusCode, $"{probe}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{app.Output}");
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        }

        await app.SignedInClientsCallTheToolAsync(User, Password);

        // The state is in the project's SQLite file, so a restart signs nobody out.
        Assert.True(File.Exists(Path.Combine(folder, "App_Data", "mcp-oauth.db")), app.Output);
    }
}
