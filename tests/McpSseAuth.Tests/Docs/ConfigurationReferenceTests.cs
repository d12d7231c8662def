using System.Collections;
using System.Reflection;
using McpSseAuth.Redis;
using McpSseAuth.Sqlite;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Docs;

/// <summary>
/// docs/configuration.md documents every public option with its default. The option types are found by reflection over the
/// three packages: every public <c>*Options</c> type, and every public class of the packages that hangs off one (a property
/// of that type, or a collection of it). Each of their settable or collection properties, and each parameter of the public
/// <c>Map*</c> and <c>Add*</c> extension methods, must be a row of a table under the heading that names the type or method,
/// with a default cell that is not empty. A new property without a row fails.
/// </summary>
public sealed class ConfigurationReferenceTests
{
    private static readonly Assembly[] Packages = [typeof(McpOAuthOptions).Assembly, typeof(McpSqliteOptions).Assembly, typeof(McpRedisOptions).Assembly, typeof(McpSseAuth.EntityFrameworkCore.McpEntityFrameworkCoreOptions).Assembly];

    /// <summary>The option types as of this writing; reflection finds these and any added later.</summary>
    private static readonly Type[] KnownOptionTypes =
    [
        typeof(McpOAuthOptions),
        typeof(McpOAuthTokenOptions),
        typeof(McpOAuthSigningOptions),
        typeof(McpOAuthScopeOptions),
        typeof(McpOAuthRedirectUriOptions),
        typeof(McpOAuthRegistrationOptions),
        typeof(McpOAuthSignInOptions),
        typeof(McpOAuthSessionOptions),
        typeof(McpOAuthPathOptions),
        typeof(McpOAuthPageOptions),
        typeof(McpOAuthPageTexts),
        typeof(McpOAuthAccessRules),
        typeof(McpClientMetadataDocumentOptions),
        typeof(McpOAuthClient),
        typeof(McpOAuthUser),
        typeof(McpServiceTokenDefinition),
        typeof(McpRequiredScopes),
        typeof(McpOAuthEvents),
        typeof(McpSqliteOptions),
        typeof(McpRedisOptions),
        typeof(McpSseAuth.EntityFrameworkCore.McpEntityFrameworkCoreOptions),
    ];

    /// <summary>The extension methods whose parameters are options too.</summary>
    private static readonly Type[] ExtensionClasses =
    [
        typeof(McpOAuthServiceCollectionExtensions),
        typeof(McpSseEndpointRouteBuilderExtensions),
        typeof(McpOAuthStorageServiceCollectionExtensions),
        typeof(McpOAuthSqliteServiceCollectionExtensions),
        typeof(McpOAuthRedisServiceCollectionExtensions),
    ];

    [Fact]
    public void Reflection_FindsEveryKnownOptionType()
    {
        var found = OptionTypes();

        Assert.Empty(KnownOptionTypes.Except(found));
    }

    [Fact]
    public void EveryPublicOption_IsATableRowWithADefault()
    {
        var doc = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));

        var missing = Missing(doc);

        Assert.True(missing.Count == 0, "docs/configuration.md has no row with a default for:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void ARemovedRow_IsReported()
    {
        var doc = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        var withoutRow = string.Join('\n', doc.Split('\n').Where(line => !line.StartsWith("| `MaxDocumentBytes` |", StringComparison.Ordinal)));
        var withoutDefault = doc.Replace("| `KeyPrefix` | `mcp-oauth:` |", "| `KeyPrefix` |  |", StringComparison.Ordinal);

        Assert.Equal(new[] { "McpClientMetadataDocumentOptions.MaxDocumentBytes" }, Missing(withoutRow));
        Assert.Equal(new[] { "McpRedisOptions.KeyPrefix" }, Missing(withoutDefault));
    }

    private static List<string> Missing(string doc)
    {
        var sections = Sections(doc);
        var missing = new List<string>();
        foreach (var type in OptionTypes())
        {
            foreach (var property in OptionProperties(type))
            {
                if (!HasRowWithDefault(sections, $"`{type.Name}`", property.Name))
                {
                    missing.Add($"{type.Name}.{property.Name}");
                }
            }
        }

        foreach (var method in ExtensionClasses.SelectMany(c => c.GetMethods(BindingFlags.Public | BindingFlags.Static)))
        {
            // The receiver, and the callback that configures an options type (documented through the type itself).
            foreach (var parameter in method.GetParameters().Skip(1).Where(p => !IsOptionsCallback(p.ParameterType)))
            {
                if (!HasRowWithDefault(sections, method.Name + "(", parameter.Name!))
                {
                    missing.Add($"{method.Name}({parameter.Name})");
                }
            }
        }

        return missing;
    }

    /// <summary>Public <c>*Options</c> types, and the public classes of the packages reachable from them through properties.</summary>
    private static HashSet<Type> OptionTypes()
    {
        var found = new HashSet<Type>();
        var pending = new Queue<Type>(Packages.SelectMany(a => a.GetExportedTypes()).Where(t => t.IsClass && t.Name.EndsWith("Options", StringComparison.Ordinal)));
        while (pending.TryDequeue(out var type))
        {
            if (!found.Add(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                foreach (var reached in PackageClassesIn(property.PropertyType))
                {
                    pending.Enqueue(reached);
                }
            }
        }

        return found;
    }

    // A property's own type or its collection's element types; never through a delegate (its arguments are event contexts).
    private static IEnumerable<Type> PackageClassesIn(Type type)
    {
        if (typeof(Delegate).IsAssignableFrom(type))
        {
            yield break;
        }

        if (type.IsClass && type.IsPublic && Packages.Contains(type.Assembly))
        {
            yield return type;
        }

        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            foreach (var reached in PackageClassesIn(argument))
            {
                yield return reached;
            }
        }
    }

    /// <summary>What one configures: settable properties, collections and nested option objects (not computed values).</summary>
    private static IEnumerable<PropertyInfo> OptionProperties(Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.SetMethod is { IsPublic: true }
                || (p.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(p.PropertyType))
                || PackageClassesIn(p.PropertyType).Any());

    private static bool IsOptionsCallback(Type type)
        => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Action<>) && type.GetGenericArguments()[0].Name.EndsWith("Options", StringComparison.Ordinal);

    /// <summary>Each heading's text with the table rows under it (up to the next heading), as cells.</summary>
    private static List<(string Heading, List<string[]> Rows)> Sections(string doc)
    {
        var sections = new List<(string Heading, List<string[]> Rows)>();
        foreach (var line in doc.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.StartsWith('#'))
            {
                sections.Add((line, []));
            }
            else if (line.StartsWith('|') && sections.Count > 0)
            {
                // Split on unescaped pipes; "\|" is a pipe inside a cell.
                var cells = line.Replace("\\|", "\u0001", StringComparison.Ordinal).Trim('|').Split('|')
                    .Select(c => c.Replace("\u0001", "|", StringComparison.Ordinal).Trim()).ToArray();
                sections[^1].Rows.Add(cells);
            }
        }

        return sections;
    }

    private static bool HasRowWithDefault(List<(string Heading, List<string[]> Rows)> sections, string headingMark, string name)
        => sections.Where(s => s.Heading.Contains(headingMark, StringComparison.Ordinal))
            .SelectMany(s => s.Rows)
            .Any(cells => cells.Length >= 2 && cells[0] == $"`{name}`" && cells[1].Length > 0);
}
