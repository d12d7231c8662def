using System.Text.RegularExpressions;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Architecture;

/// <summary>Files a newcomer can read: none over 300 lines in src/, and the docs name only files that exist.</summary>
public sealed partial class SourceFileTests
{
    private const int MaxLines = 300;

    [Fact]
    public void NoSourceFile_IsLongerThan300Lines()
    {
        var src = Path.Combine(Repository.Root, "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count > 100, $"Only {files.Count} source files found under {src}.");
        var long_ = files.Select(f => (File: Path.GetRelativePath(Repository.Root, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines).Select(f => $"{f.File}: {f.Lines} lines").ToList();
        Assert.True(long_.Count == 0, "Split these by concern:\n" + string.Join("\n", long_));
    }

    [Fact]
    public void EveryFileTheDocsName_Exists()
    {
        var roots = new[] { "src/McpSseAuth", "src", "tests/McpSseAuth.Tests", "bench/McpSseAuth.Benchmarks", "" }.Select(r => Path.Combine(Repository.Root, r)).ToList();
        var docs = Directory.EnumerateFiles(Path.Combine(Repository.Root, "docs"), "*.md").Append(Path.Combine(Repository.Root, "README.md"));
        var missing = new List<string>();
        var checkedCount = 0;
        foreach (var doc in docs)
        {
            foreach (Match m in CodePath().Matches(File.ReadAllText(doc)))
            {
                var path = m.Groups[1].Value;
                checkedCount++;
                if (!roots.Any(r => File.Exists(Path.Combine(r, path)) || Directory.Exists(Path.Combine(r, path.TrimEnd('/')))))
                {
                    missing.Add($"{Path.GetFileName(doc)}: `{path}`");
                }
            }
        }

        Assert.True(checkedCount > 50, $"Only {checkedCount} paths found in the docs.");
        Assert.True(missing.Count == 0, "The docs name files or folders that do not exist:\n" + string.Join("\n", missing.Distinct()));
    }

    /// <summary>A path in backticks: <c>`Folder/File.cs`</c> or <c>`Folder/`</c>.</summary>
    [GeneratedRegex(@"`((?:[A-Za-z][\w.-]*/)+(?:[\w.-]+\.(?:cs|md|mjs|sh|json|props|targets))?)`")]
    private static partial Regex CodePath();
}
