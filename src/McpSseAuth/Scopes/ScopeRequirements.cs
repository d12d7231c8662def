using System.Runtime.CompilerServices;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Scopes;

/// <summary>
/// What scopes each MCP tool, prompt and resource needs: <see cref="McpRequiredScopesAttribute"/> on the primitive (read
/// from the SDK's primitive metadata at each call, so primitives added later count too) plus
/// <see cref="McpOAuthScopeOptions.Required"/>.
/// </summary>
internal sealed class ScopeRequirements(IServiceProvider services, IOptions<McpOAuthOptions> options)
{
    private static readonly string[] None = [];

    // The SDK's options, read on first use: by then every PostConfigure has run.
    private readonly Lazy<McpServerOptions> _server = new(() => services.GetRequiredService<IOptions<McpServerOptions>>().Value);
    private readonly Lazy<bool> _any = new(() => ComputeAny(services, options.Value));

    /// <summary>Whether anything requires a scope (when nothing does, no request body is read for it).</summary>
    public bool Any => _any.Value;

    /// <summary>The scopes the request needs, for the three methods that use a primitive; empty otherwise.</summary>
    public IReadOnlyCollection<string> For(string method, string? target) => target is null ? None : method switch
    {
        RequestMethods.ToolsCall => _server.Value.ToolCollection is { } tools && tools.TryGetPrimitive(target, out var tool)
            ? (tool.ProtocolTool.Name == target ? ForTool(tool) : Union(options.Value.Scopes.Required.Tools, target, tool.Metadata))
            : Union(options.Value.Scopes.Required.Tools, target, null),
        RequestMethods.PromptsGet => _server.Value.PromptCollection is { } prompts && prompts.TryGetPrimitive(target, out var prompt)
            ? (prompt.ProtocolPrompt.Name == target ? ForPrompt(prompt) : Union(options.Value.Scopes.Required.Prompts, target, prompt.Metadata))
            : Union(options.Value.Scopes.Required.Prompts, target, null),
        RequestMethods.ResourcesRead => ForResourceUri(target),
        _ => None,
    };

    /// <summary>
    /// A read of <paramref name="uri"/>: what every resource the SDK would match it to requires (its attributes, and the
    /// options entry under its URI or URI template), plus an options entry under the URI itself. Keys compare as the SDK
    /// matches, ignoring case, so no spelling of the URI escapes the requirement.
    /// </summary>
    private IReadOnlyCollection<string> ForResourceUri(string uri)
    {
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (options.Value.Scopes.Required.Resources.TryGetValue(uri, out var direct))
        {
            required.UnionWith(direct);
        }

        foreach (var resource in _server.Value.ResourceCollection?.Where(r => r.IsMatch(uri)) ?? [])
        {
            required.UnionWith(ForResource(resource));
        }

        return required.Count == 0 ? None : required;
    }

    // What each primitive requires, worked out at its first call: its metadata and the options are fixed once it exists
    // (the options are read once, as IOptions), and primitives added later get their own entry.
    private readonly ConditionalWeakTable<object, IReadOnlyCollection<string>> _byPrimitive = new();

    public IReadOnlyCollection<string> ForTool(McpServerTool tool)
        => _byPrimitive.TryGetValue(tool, out var known) ? known
            : _byPrimitive.GetValue(tool, _ => Union(options.Value.Scopes.Required.Tools, tool.ProtocolTool.Name, tool.Metadata));

    public IReadOnlyCollection<string> ForPrompt(McpServerPrompt prompt)
        => _byPrimitive.TryGetValue(prompt, out var known) ? known
            : _byPrimitive.GetValue(prompt, _ => Union(options.Value.Scopes.Required.Prompts, prompt.ProtocolPrompt.Name, prompt.Metadata));

    public IReadOnlyCollection<string> ForResource(McpServerResource resource)
        => Union(options.Value.Scopes.Required.Resources, resource.ProtocolResource?.Uri ?? resource.ProtocolResourceTemplate.UriTemplate, resource.Metadata);

    /// <summary>Every scope anything requires, to check at startup that the server knows them.</summary>
    public IEnumerable<string> AllRequired()
    {
        var o = options.Value.Scopes.Required;
        var server = _server.Value;
        return o.Tools.Values.Concat(o.Prompts.Values).Concat(o.Resources.Values).SelectMany(s => s)
            .Concat(Attributes(server.ToolCollection?.SelectMany(t => t.Metadata)))
            .Concat(Attributes(server.PromptCollection?.SelectMany(p => p.Metadata)))
            .Concat(Attributes(server.ResourceCollection?.SelectMany(r => r.Metadata)))
            .Distinct(StringComparer.Ordinal);
    }

    /// <summary>The required scopes the user's token does not carry.</summary>
    public static string[] Missing(ClaimsPrincipal? user, IReadOnlyCollection<string> required)
    {
        if (required.Count == 0)
        {
            return None;
        }

        var granted = user?.FindFirst("scope")?.Value ?? "";
        if (required is string[] array && AllGranted(granted, array))
        {
            return None;   // the usual answer, without an enumerator or a closure
        }

        return [.. required.Where(s => !Grants(granted, s))];
    }

    private static bool AllGranted(string granted, string[] required)
    {
        foreach (var scope in required)
        {
            if (!Grants(granted, scope))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the space-delimited <paramref name="granted"/> (RFC 6749 §3.3) holds <paramref name="scope"/> exactly.</summary>
    private static bool Grants(string granted, string scope)
    {
        foreach (var range in granted.AsSpan().Split(' '))
        {
            if (granted.AsSpan(range).SequenceEqual(scope))
            {
                return true;
            }
        }

        return false;
    }

    private static string[] Union(Dictionary<string, HashSet<string>> configured, string key, IEnumerable<object>? metadata)
    {
        var fromAttributes = Attributes(metadata).ToArray();
        if (!configured.TryGetValue(key, out var fromOptions))
        {
            return fromAttributes.Length == 0 ? None : fromAttributes.Distinct(StringComparer.Ordinal).ToArray();
        }

        return fromAttributes.Length == 0 ? [.. fromOptions] : fromOptions.Concat(fromAttributes).Distinct(StringComparer.Ordinal).ToArray();
    }

    private static IEnumerable<string> Attributes(IEnumerable<object>? metadata)
        => metadata?.OfType<McpRequiredScopesAttribute>().SelectMany(a => a.Scopes) ?? None;

    private static bool ComputeAny(IServiceProvider services, McpOAuthOptions o)
    {
        if (o.Scopes.Required.Tools.Count + o.Scopes.Required.Prompts.Count + o.Scopes.Required.Resources.Count > 0)
        {
            return true;
        }

        var server = services.GetRequiredService<IOptions<McpServerOptions>>().Value;
        return Attributes(server.ToolCollection?.SelectMany(t => t.Metadata)).Any()
            || Attributes(server.PromptCollection?.SelectMany(p => p.Metadata)).Any()
            || Attributes(server.ResourceCollection?.SelectMany(r => r.Metadata)).Any();
    }
}
