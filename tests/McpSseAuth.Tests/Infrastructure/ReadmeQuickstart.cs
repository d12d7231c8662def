using System.Text.RegularExpressions;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// The README's quickstart as steps a user follows in order: shell blocks (<c>sh</c>) are commands, one per line; a C# block
/// is the content of the file the text just before it names (<c>`Program.cs`</c>).
/// </summary>
public sealed partial record ReadmeQuickstart(IReadOnlyList<ReadmeQuickstart.Instruction> Steps)
{
    public abstract record Instruction;

    /// <summary>A command line, as typed.</summary>
    public sealed record Command(string Line) : Instruction;

    /// <summary>A file the user writes, with its whole content.</summary>
    public sealed record FileContent(string Name, string Content) : Instruction;

    public static ReadmeQuickstart Read(string readmePath)
    {
        var readme = File.ReadAllText(readmePath).ReplaceLineEndings("\n");
        var start = readme.IndexOf("\n## Quickstart\n", StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"{readmePath} has no '## Quickstart' section.");
        }

        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        var steps = new List<Instruction>();
        var proseStart = 0;
        foreach (Match block in CodeBlock().Matches(section))
        {
            var prose = section[proseStart..block.Index];
            proseStart = block.Index + block.Length;
            var (language, content) = (block.Groups[1].Value.Trim(), block.Groups[2].Value);
            switch (language)
            {
                case "sh":
                    steps.AddRange(content.Split('\n').Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).Select(l => new Command(l.Trim())));
                    break;
                case "csharp":
                    var named = FileName().Matches(prose);
                    var name = named.Count > 0 ? named[^1].Groups[1].Value
                        : throw new InvalidOperationException("A C# block of the quickstart does not say which file it is (e.g. 'Replace `Program.cs` with:').");
                    steps.Add(new FileContent(name, content));
                    break;
                default:
                    throw new InvalidOperationException($"The quickstart has a block marked '{language}'; mark each block sh or csharp so it can be followed.");
            }
        }

        return new ReadmeQuickstart(steps);
    }

    [GeneratedRegex(@"^```([^\n]*)\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"`([\w.-]+\.cs)`")]
    private static partial Regex FileName();
}
