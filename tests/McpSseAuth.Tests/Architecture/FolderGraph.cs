using Mono.Cecil;

namespace McpSseAuth.Tests.Architecture;

/// <summary>
/// The library's folders (namespaces) and which types of one use types of another, read from the compiled IL:
/// signatures, attributes, method bodies, and the compiler-generated types (lambdas, async state machines) counted as
/// the type that declares them.
/// </summary>
internal sealed class FolderGraph
{
    /// <summary>The folder of the public contract (options, events, public interfaces): namespace <c>McpSseAuth</c>.</summary>
    public const string Root = "(root)";

    /// <summary>The extension classes a host calls, in the Microsoft.* namespaces the .NET conventions ask for.</summary>
    public const string Extensions = "(extensions)";

    private FolderGraph(IReadOnlyDictionary<(string From, string To), SortedSet<string>> edges, IReadOnlySet<string> folders)
    {
        Edges = edges;
        Folders = folders;
    }

    /// <summary>Every dependency between two different folders, with the type pairs that make it ("A → B").</summary>
    public IReadOnlyDictionary<(string From, string To), SortedSet<string>> Edges { get; }

    public IReadOnlySet<string> Folders { get; }

    /// <summary>A graph of the given edges, to test the graph's own reasoning.</summary>
    public static FolderGraph Of(params (string From, string To)[] edges)
        => new(edges.ToDictionary(e => e, e => new SortedSet<string>(StringComparer.Ordinal) { $"{e.From} → {e.To}" }),
            edges.SelectMany(e => new[] { e.From, e.To }).ToHashSet(StringComparer.Ordinal));

    public static FolderGraph Read(string assemblyPath, string rootNamespace)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var folderOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var type in module.Types)
        {
            if (FolderOf(type.Namespace, rootNamespace) is { } folder)
            {
                folderOf[type.FullName] = folder;
            }
        }

        var edges = new Dictionary<(string, string), SortedSet<string>>();
        foreach (var type in module.Types)
        {
            if (!folderOf.TryGetValue(type.FullName, out var from))
            {
                continue;
            }

            foreach (var used in References(type))
            {
                var outer = Outermost(used);
                if (outer is null || !folderOf.TryGetValue(outer.FullName, out var to) || to == from)
                {
                    continue;
                }

                if (!edges.TryGetValue((from, to), out var why))
                {
                    edges[(from, to)] = why = new SortedSet<string>(StringComparer.Ordinal);
                }

                why.Add($"{type.Name} → {outer.Name}");
            }
        }

        return new FolderGraph(edges, folderOf.Values.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The folders that reach each other (strongly connected components of more than one folder).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        // Tarjan's algorithm.
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var onStack = new HashSet<string>();
        var stack = new Stack<string>();
        var result = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Edges.Keys.Where(e => e.From == v).Select(e => e.To).Order(StringComparer.Ordinal))
            {
                if (!index.TryGetValue(w, out var seen))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], seen);
                }
            }

            if (low[v] == index[v])
            {
                var component = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);
                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    result.Add(component);
                }
            }
        }

        foreach (var folder in Folders.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(folder))
            {
                Visit(folder);
            }
        }

        return result;
    }

    private static string? FolderOf(string ns, string rootNamespace)
    {
        if (ns == rootNamespace)
        {
            return Root;
        }

        if (ns.StartsWith(rootNamespace + ".", StringComparison.Ordinal))
        {
            return ns[(rootNamespace.Length + 1)..].Split('.')[0];
        }

        return ns is "Microsoft.Extensions.DependencyInjection" or "Microsoft.AspNetCore.Builder" ? Extensions : null;
    }

    private static TypeReference? Outermost(TypeReference? type)
    {
        while (type is TypeSpecification spec)
        {
            type = spec.ElementType;
        }

        while (type?.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        Collect(type, found);
        return found;
    }

    private static void Collect(TypeDefinition type, List<TypeReference> found)
    {
        Add(type.BaseType, found);
        foreach (var i in type.Interfaces)
        {
            Add(i.InterfaceType, found);
        }

        Attributes(type, found);
        foreach (var p in type.GenericParameters)
        {
            foreach (var c in p.Constraints)
            {
                Add(c.ConstraintType, found);
            }
        }

        foreach (var field in type.Fields)
        {
            Add(field.FieldType, found);
            Attributes(field, found);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType, found);
            Attributes(property, found);
        }

        foreach (var e in type.Events)
        {
            Add(e.EventType, found);
        }

        foreach (var method in type.Methods)
        {
            Method(method, found);
            Attributes(method, found);
            if (!method.HasBody)
            {
                continue;
            }

            foreach (var v in method.Body.Variables)
            {
                Add(v.VariableType, found);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Add(handler.CatchType, found);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        Add(t, found);
                        break;
                    case MethodReference m:
                        Add(m.DeclaringType, found);
                        Method(m, found);
                        if (m is GenericInstanceMethod g)
                        {
                            foreach (var a in g.GenericArguments)
                            {
                                Add(a, found);
                            }
                        }

                        break;
                    case FieldReference f:
                        Add(f.DeclaringType, found);
                        Add(f.FieldType, found);
                        break;
                }
            }
        }

        foreach (var nested in type.NestedTypes)
        {
            Collect(nested, found);
        }
    }

    private static void Method(MethodReference method, List<TypeReference> found)
    {
        Add(method.ReturnType, found);
        foreach (var p in method.Parameters)
        {
            Add(p.ParameterType, found);
        }
    }

    private static void Attributes(ICustomAttributeProvider provider, List<TypeReference> found)
    {
        foreach (var a in provider.CustomAttributes)
        {
            Add(a.AttributeType, found);
            foreach (var arg in a.ConstructorArguments)
            {
                Add(arg.Value as TypeReference, found);
            }
        }
    }

    private static void Add(TypeReference? type, List<TypeReference> found)
    {
        switch (type)
        {
            case null:
                return;
            case GenericInstanceType generic:
                Add(generic.ElementType, found);
                foreach (var a in generic.GenericArguments)
                {
                    Add(a, found);
                }

                return;
            case TypeSpecification spec:
                Add(spec.ElementType, found);
                return;
            default:
                found.Add(type);
                return;
        }
    }
}
