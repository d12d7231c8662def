using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Packaging;

/// <summary>What `dotnet pack` makes of each project under src/: fit to publish on nuget.org as it is.</summary>
[Collection(PackedPackagesGroup.Name)]
public sealed partial class PackageContentsTests(PackedPackages packed)
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    /// <summary>The template package: content for <c>dotnet new</c>, no assembly, no symbols, no dependencies.</summary>
    private const string Templates = "McpSseAuth.Templates";

    private static string WebUrl => PackedPackages.RepositoryUrl[..^".git".Length];

    private IEnumerable<string> Libraries => packed.Projects.Where(p => p != Templates);

    [Fact]
    public void Pack_YieldsAPackageForEveryProjectUnderSrcAndASymbolPackageForEveryLibrary()
    {
        Assert.Equal(["McpSseAuth", "McpSseAuth.EntityFrameworkCore", "McpSseAuth.Gateway", "McpSseAuth.Redis", "McpSseAuth.Sqlite", Templates], packed.Projects);
        var files = Directory.GetFiles(packed.Feed).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        var expected = Libraries.Select(p => $"{p}.{Version}.snupkg").Concat(packed.Projects.Select(p => $"{p}.{Version}.nupkg")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, files);
    }

    [Fact]
    public void Nuspec_NamesLicenseReadmeRepositoryCommitAndProjectSite()
    {
        foreach (var project in packed.Projects)
        {
            var nuspec = Nuspec(project);
            Assert.Equal(project, Element(nuspec, "id").Value);
            Assert.Equal(Version, Element(nuspec, "version").Value);
            Assert.False(string.IsNullOrWhiteSpace(Element(nuspec, "description").Value), project + ": no description");
            Assert.False(string.IsNullOrWhiteSpace(Element(nuspec, "authors").Value), project + ": no authors");
            Assert.Contains("mcp", Element(nuspec, "tags").Value.Split(' '));
            var license = Element(nuspec, "license");
            Assert.Equal(("expression", "MIT"), ((string?)license.Attribute("type"), license.Value));
            Assert.Equal("README.md", Element(nuspec, "readme").Value);
            Assert.Equal(WebUrl, Element(nuspec, "projectUrl").Value);
            var repository = Element(nuspec, "repository");
            Assert.Equal("git", (string?)repository.Attribute("type"));
            Assert.Equal(PackedPackages.RepositoryUrl, (string?)repository.Attribute("url"));
            Assert.Equal(packed.Commit, (string?)repository.Attribute("commit"));
        }
    }

    [Fact]
    public void Nuspec_DependsOnTheSameVersionOfMcpSseAuthAndOnNoBuildOnlyPackage()
    {
        foreach (var project in Libraries)
        {
            var dependencies = Nuspec(project).Descendants().Where(e => e.Name.LocalName == "dependency")
                .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!, StringComparer.Ordinal);
            Assert.DoesNotContain(dependencies.Keys, id => id.Contains("Analyzers", StringComparison.Ordinal) || id.Contains("SourceLink", StringComparison.Ordinal));
            if (project == "McpSseAuth")
            {
                Assert.Contains("ModelContextProtocol.AspNetCore", dependencies.Keys);
            }
            else
            {
                Assert.Equal(Version, dependencies["McpSseAuth"]);
            }
        }
    }

    [Fact]
    public void Readme_IsPackedWithEveryLinkAbsoluteAndPointingAtAFileOfThePackedCommit()
    {
        var blob = $"{WebUrl}/blob/{packed.Commit}/";
        foreach (var project in packed.Projects)
        {
            var readme = Entry(project, "README.md");
            var links = MarkdownLink().Matches(readme).Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(links);
            foreach (var link in links.Where(l => !l.StartsWith('#')))
            {
                Assert.True(Uri.TryCreate(link, UriKind.Absolute, out var uri), $"{project}: the README links to '{link}', which nuget.org cannot resolve.");
                if (link.StartsWith(blob, StringComparison.Ordinal))
                {
                    var path = uri.AbsolutePath[new Uri(blob).AbsolutePath.Length..];
                    Assert.True(File.Exists(Path.Combine(packed.Source, Uri.UnescapeDataString(path))), $"{project}: the README links to {path}, which the repository does not have.");
                }
            }

            Assert.Contains(links, l => l.StartsWith(blob + "docs/", StringComparison.Ordinal));
        }

        // McpSseAuth's README is the repository's: the quickstart a user reads on nuget.org is the one CI runs.
        var repositoryReadme = File.ReadAllText(Path.Combine(packed.Source, "README.md"));
        Assert.Equal(MarkdownLink().Replace(repositoryReadme, "]()"), MarkdownLink().Replace(Entry("McpSseAuth", "README.md"), "]()"));
    }

    [Fact]
    public void Library_CarriesXmlDocumentationForEveryPublicType()
    {
        foreach (var project in Libraries)
        {
            using var peReader = new PEReader(new MemoryStream(EntryBytes($"{project}.{Version}.nupkg", $"lib/net10.0/{project}.dll")));
            var metadata = peReader.GetMetadataReader();
            var documented = XDocument.Parse(Entry(project, $"lib/net10.0/{project}.xml")).Descendants("member")
                .Select(m => (string)m.Attribute("name")!).ToHashSet(StringComparer.Ordinal);
            var publicTypes = metadata.TypeDefinitions.Select(metadata.GetTypeDefinition)
                .Where(t => (t.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
                .Select(t => $"T:{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}")
                .ToList();
            Assert.NotEmpty(publicTypes);
            Assert.All(publicTypes, t => Assert.True(documented.Contains(t), $"{project}: {t} has no XML documentation."));

            // The assembly says which commit it was built from.
            var informational = metadata.GetAssemblyDefinition().GetCustomAttributes().Select(metadata.GetCustomAttribute)
                .Where(a => AttributeName(metadata, a) == nameof(AssemblyInformationalVersionAttribute))
                .Select(a => Encoding.UTF8.GetString(metadata.GetBlobBytes(a.Value)))
                .Single();
            Assert.Contains($"+{packed.Commit}", informational, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SymbolPackage_MapsEverySourceFileToThePackedCommitOrEmbedsIt()
    {
        var raw = $"https://raw.githubusercontent.com/{new Uri(WebUrl).AbsolutePath.Trim('/')}/{packed.Commit}/";
        foreach (var project in Libraries)
        {
            using var provider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(EntryBytes($"{project}.{Version}.snupkg", $"lib/net10.0/{project}.pdb")));
            var pdb = provider.GetMetadataReader();
            var sourceLink = pdb.CustomDebugInformation.Select(pdb.GetCustomDebugInformation).Single(c => pdb.GetGuid(c.Kind) == SourceLinkKind);
            using var map = JsonDocument.Parse(pdb.GetBlobBytes(sourceLink.Value));
            var documents = map.RootElement.GetProperty("documents").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
            Assert.Equal(raw + "*", Assert.Single(documents, d => d.Key == "/_/*").Value);

            var embedded = pdb.CustomDebugInformation.Select(pdb.GetCustomDebugInformation).Where(c => pdb.GetGuid(c.Kind) == EmbeddedSourceKind)
                .Select(c => c.Parent).ToHashSet();
            var files = pdb.Documents.Select(h => (Handle: h, Name: pdb.GetString(pdb.GetDocument(h).Name))).ToList();
            Assert.Contains(files, f => f.Name.StartsWith($"/_/src/{project}/", StringComparison.Ordinal));
            foreach (var (handle, name) in files)
            {
                // Deterministic paths (ContinuousIntegrationBuild): no folder of the machine that packed it.
                Assert.StartsWith("/_/", name, StringComparison.Ordinal);
                var committed = File.Exists(Path.Combine(packed.Source, name["/_/".Length..]));
                Assert.True(committed || embedded.Contains(handle), $"{project}: {name} is neither in the commit SourceLink points at nor embedded.");
            }
        }
    }

    [Fact]
    public void TemplatePackage_IsATemplateWhoseProjectPinsTheMcpSseAuthPackagesOfItsOwnVersion()
    {
        var nuspec = Nuspec(Templates);
        Assert.Equal("Template", (string?)Element(nuspec, "packageType").Attribute("name"));
        Assert.DoesNotContain(nuspec.Descendants(), e => e.Name.LocalName == "dependency");
        using var zip = ZipFile.OpenRead(Path.Combine(packed.Feed, $"{Templates}.{Version}.nupkg"));
        Assert.DoesNotContain(zip.Entries, e => e.FullName.StartsWith("lib/", StringComparison.Ordinal));
        var manifest = JsonDocument.Parse(Entry(Templates, "content/McpOAuthServer/.template.config/template.json")).RootElement;
        Assert.Equal("mcp-oauth-server", manifest.GetProperty("shortName").GetString());

        // The stamped version is the one packed, in the project and nowhere left as the placeholder.
        var project = XDocument.Parse(Entry(Templates, "content/McpOAuthServer/McpOAuthServer.csproj"));
        var references = project.Descendants("PackageReference").ToDictionary(r => (string)r.Attribute("Include")!, r => (string)r.Attribute("Version")!, StringComparer.Ordinal);
        Assert.Equal(Version, references["McpSseAuth"]);
        Assert.All(references.Where(r => r.Key.StartsWith("McpSseAuth", StringComparison.Ordinal)), r => Assert.Equal(Version, r.Value));
        Assert.All(zip.Entries.Where(e => e.FullName.StartsWith("content/", StringComparison.Ordinal)), e => Assert.DoesNotContain("0.0.0-template", Entry(Templates, e.FullName), StringComparison.Ordinal));
    }

    private static string AttributeName(MetadataReader metadata, CustomAttribute attribute)
        => attribute.Constructor.Kind == HandleKind.MemberReference
            && metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent is { Kind: HandleKind.TypeReference } parent
                ? metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)parent).Name)
                : "";

    private string Version => packed.Version;

    private XDocument Nuspec(string project) => XDocument.Parse(Entry(project, project + ".nuspec"));

    private static XElement Element(XDocument nuspec, string name)
        => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name) ?? throw new InvalidOperationException($"The nuspec has no <{name}>.");

    private string Entry(string project, string path) => Encoding.UTF8.GetString(EntryBytes($"{project}.{Version}.nupkg", path)).TrimStart('\uFEFF');

    private byte[] EntryBytes(string package, string path)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(packed.Feed, package));
        var entry = zip.GetEntry(path) ?? throw new InvalidOperationException($"{package} has no {path}; it has {string.Join(", ", zip.Entries.Select(e => e.FullName))}.");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

}
