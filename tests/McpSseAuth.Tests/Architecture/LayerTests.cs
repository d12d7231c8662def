using System.Text.RegularExpressions;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Architecture;

/// <summary>
/// The library's folders depend on each other in one direction, as docs/architecture.md draws them: its Mermaid diagram's
/// subgraphs are the layers, top to bottom, and the arrows inside a layer are every dependency between its folders. A new
/// cycle, a dependency up a layer, or one inside a layer that the picture does not show fails here with the types that make it.
/// </summary>
public sealed partial class LayerTests
{
    private static readonly Lazy<FolderGraph> Library = new(() => FolderGraph.Read(typeof(McpOAuthOptions).Assembly.Location, "McpSseAuth"));
    private static readonly Lazy<Diagram> Drawn = new(() => Diagram.Read(Path.Combine(Repository.Root, "docs", "architecture.md")));

    [Fact]
    public void Library_HasNoCycleBetweenFolders()
    {
        var cycles = Library.Value.Cycles();
        Assert.True(cycles.Count == 0, "Folders that depend on each other:\n" + string.Join("\n", cycles.Select(c => Explain(Library.Value, c))));
    }

    [Fact]
    public void EveryDependency_GoesDownTheLayers_OrIsDrawnInsideOne()
    {
        var graph = Library.Value;
        var diagram = Drawn.Value;
        var wrong = new List<string>();
        foreach (var ((from, to), why) in graph.Edges.OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
        {
            var (a, b) = (diagram.LayerOf(from), diagram.LayerOf(to));
            if (a > b)
            {
                wrong.Add($"{from} → {to} goes up from layer {diagram.Layers[a]} to {diagram.Layers[b]}: {Evidence(why)}");
            }
            else if (a == b && !diagram.Arrows.Contains((from, to)))
            {
                wrong.Add($"{from} → {to} inside {diagram.Layers[a]} is not drawn: {Evidence(why)}");
            }
        }

        Assert.True(wrong.Count == 0, "docs/architecture.md and the code disagree:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Diagram_ShowsEveryFolder_AndNoArrowThatIsNotInTheCode()
    {
        var graph = Library.Value;
        var diagram = Drawn.Value;
        Assert.Empty(graph.Folders.Where(f => !diagram.Folders.ContainsKey(f)).Order(StringComparer.Ordinal));
        Assert.Empty(diagram.Folders.Keys.Where(f => !graph.Folders.Contains(f)).Order(StringComparer.Ordinal));
        Assert.Empty(diagram.Arrows.Where(a => !graph.Edges.ContainsKey(a)).Select(a => $"{a.From} → {a.To}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Reader_SeesDependenciesInSignaturesBodiesAndLambdas()
    {
        var edges = Library.Value.Edges;
        // A constructor parameter (TokenEndpoint's stores), a call in a method body, and a lambda's closure all count.
        Assert.Contains(edges[("Tokens", "Keys")], e => e.StartsWith("AccessTokenIssuer → SigningKeys", StringComparison.Ordinal));
        Assert.Contains(edges[("Tokens", "Grants")], e => e.StartsWith("TokenEndpoint → ", StringComparison.Ordinal));
        Assert.Contains(edges[("Access", "Sessions")], e => e == "UserAccess → McpSessionRegistry");
        Assert.Contains(("(extensions)", "Hosting"), edges.Keys);
    }

    [Fact]
    public void Cycles_AreFound_AcrossSeveralFolders()
    {
        var graph = FolderGraph.Of(("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"), ("E", "D"));
        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal(["A", "B", "C"], cycle);
        Assert.Empty(FolderGraph.Of(("A", "B"), ("B", "C"), ("A", "C")).Cycles());
    }

    [Fact]
    public void Diagram_LayersAreReadInOrder()
    {
        var diagram = Drawn.Value;
        Assert.True(diagram.LayerOf("(extensions)") < diagram.LayerOf("Tokens"));
        Assert.True(diagram.LayerOf("Tokens") < diagram.LayerOf("Grants"));
        Assert.True(diagram.LayerOf("Grants") < diagram.LayerOf("Storage"));
    }

    private static string Explain(FolderGraph graph, IReadOnlyList<string> cycle)
        => string.Join("; ", graph.Edges.Where(e => cycle.Contains(e.Key.From) && cycle.Contains(e.Key.To))
            .Select(e => $"{e.Key.From} → {e.Key.To} ({Evidence(e.Value)})"));

    private static string Evidence(SortedSet<string> why) => string.Join(", ", why.Take(5)) + (why.Count > 5 ? $", and {why.Count - 5} more" : "");

    /// <summary>The first Mermaid flowchart of a Markdown file: subgraphs as layers, arrows inside them.</summary>
    private sealed partial class Diagram
    {
        public List<string> Layers { get; } = [];

        public Dictionary<string, int> Folders { get; } = new(StringComparer.Ordinal);

        public HashSet<(string From, string To)> Arrows { get; } = [];

        public int LayerOf(string folder)
            => Folders.TryGetValue(folder, out var layer) ? layer : throw new Xunit.Sdk.XunitException($"docs/architecture.md does not draw the folder {folder}.");

        public static Diagram Read(string path)
        {
            var text = File.ReadAllText(path);
            var start = text.IndexOf("```mermaid", StringComparison.Ordinal);
            Assert.True(start >= 0, "docs/architecture.md has no Mermaid diagram.");
            var end = text.IndexOf("```", start + 3, StringComparison.Ordinal);
            var diagram = new Diagram();
            var layer = -1;
            foreach (var raw in text[(start + 10)..end].Split('\n'))
            {
                var line = raw.Trim();
                if (SubgraphLine().Match(line) is { Success: true } subgraph)
                {
                    diagram.Layers.Add(subgraph.Groups[1].Value);
                    layer = diagram.Layers.Count - 1;
                    continue;
                }

                if (line == "end")
                {
                    layer = -1;
                    continue;
                }

                if (layer < 0 || line.Length == 0 || line.StartsWith("direction", StringComparison.Ordinal) || line.StartsWith("%%", StringComparison.Ordinal))
                {
                    continue;
                }

                var nodes = line.Split("-->").Select(n => Folder(NodeId().Match(n.Trim()).Groups[1].Value)).ToList();
                foreach (var node in nodes)
                {
                    diagram.Folders.TryAdd(node, layer);
                }

                for (var i = 1; i < nodes.Count; i++)
                {
                    diagram.Arrows.Add((nodes[i - 1], nodes[i]));
                }
            }

            return diagram;
        }

        private static string Folder(string id) => id switch
        {
            "root" => FolderGraph.Root,
            "extensions" => FolderGraph.Extensions,
            _ => id,
        };

        [GeneratedRegex("""^subgraph\s+(\w+)""")]
        private static partial Regex SubgraphLine();

        [GeneratedRegex("""^(\w+)""")]
        private static partial Regex NodeId();
    }
}
