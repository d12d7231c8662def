using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpSseAuth.Gateway;

namespace McpSseAuth.GatewayHost;

/// <summary>
/// Checks of the configuration file beyond what the options validate: secrets written in the file (an error: they
/// belong in user secrets or the environment), keys that name no setting (an error in the gateway's and McpSseAuth's
/// sections; a warning in a server entry, where other MCP clients write keys of their own).
/// </summary>
internal static partial class GatewayConfigChecks
{
    private static readonly HashSet<string> ServerSettings = new(
        typeof(McpGatewayServer).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name),
        StringComparer.OrdinalIgnoreCase);

    /// <summary>Values in the file at places that hold secrets. Each names its place and where the value belongs instead.</summary>
    public static IEnumerable<string> SecretsInFile(string path)
    {
        foreach (var (place, value) in Strings(Parse(path)))
        {
            if (value.Length == 0 || value.Contains("{{", StringComparison.Ordinal))
            {
                continue;   // empty (set elsewhere), or the user's own value filled in per request
            }

            var parts = place.Split('.');
            var secret = parts switch
            {
                ["mcpServers", _, "env", var name] => SecretName().IsMatch(name),
                ["mcpServers", _, "headers", var name] => SecretName().IsMatch(name) || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase),
                ["mcpServers", _, "url"] => value.Contains('@', StringComparison.Ordinal) || SecretQuery().IsMatch(value),
                ["Upstream", "ClientSecret"] => true,
                ["mcpServers", _, "userToken", "oauth", var key] => key.Equals("clientSecret", StringComparison.OrdinalIgnoreCase),
                ["ConnectionStrings", _] => value.Contains("password=", StringComparison.OrdinalIgnoreCase),
                _ => false,
            };
            if (secret)
            {
                yield return $"{place}: a secret written in {Path.GetFileName(path)}. Move it to user secrets (dotnet user-secrets set \"{place.Replace('.', ':')}\" ...) or the environment ({place.Replace(".", "__", StringComparison.Ordinal)}=...), and leave it empty here.";
            }
        }
    }

    /// <summary>Keys of server entries that name no gateway setting: ignored, as other clients' keys are.</summary>
    public static IEnumerable<string> UnknownServerKeys(string path)
    {
        if (!Parse(path).RootElement.TryGetProperty("mcpServers", out var servers) || servers.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var server in servers.EnumerateObject().Where(s => s.Value.ValueKind == JsonValueKind.Object))
        {
            foreach (var key in server.Value.EnumerateObject().Select(p => p.Name).Where(k => !ServerSettings.Contains(k)))
            {
                yield return $"mcpServers.{server.Name}.{key}: not a gateway setting; ignored.";
            }
        }
    }

    /// <summary>
    /// Keys of a section in the file that name no setting of <paramref name="options"/>, each with its place: the binder
    /// refuses them at startup too, but names neither the file nor the place.
    /// </summary>
    public static IEnumerable<string> UnknownSettings(string path, string section, Type options)
    {
        var root = Parse(path).RootElement;
        var match = root.ValueKind == JsonValueKind.Object ? root.EnumerateObject().FirstOrDefault(p => p.NameEquals(section) || string.Equals(p.Name, section, StringComparison.OrdinalIgnoreCase)) : default;
        return match.Value.ValueKind == JsonValueKind.Object ? Unknown(match.Name, match.Value, options) : [];
    }

    private static IEnumerable<string> Unknown(string place, JsonElement element, Type type)
    {
        if (Element(type, typeof(IDictionary<,>), 1) is { } valueType)
        {
            return element.EnumerateObject().SelectMany(p => Nested(place + "." + p.Name, p.Value, valueType));
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        return element.EnumerateObject().SelectMany(p => properties.TryGetValue(p.Name, out var property)
            ? Nested(place + "." + p.Name, p.Value, property.PropertyType)
            : [$"{place}.{p.Name}: names no setting."]);
    }

    private static IEnumerable<string> Nested(string place, JsonElement element, Type type)
    {
        if (element.ValueKind == JsonValueKind.Array && Element(type, typeof(IEnumerable<>), 0) is { } itemType && itemType != typeof(char))
        {
            return element.EnumerateArray().SelectMany((item, i) => Nested($"{place}.{i}", item, itemType));
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return element.ValueKind == JsonValueKind.Object && underlying.IsClass && underlying != typeof(string) && underlying != typeof(Uri)
            ? Unknown(place, element, underlying)
            : [];
    }

    /// <summary>The <paramref name="index"/>th type argument of the generic interface <paramref name="generic"/> the type implements.</summary>
    private static Type? Element(Type type, Type generic, int index)
        => (type.IsGenericType && type.GetGenericTypeDefinition() == generic ? type : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic))
            ?.GetGenericArguments()[index];

    private static JsonDocument Parse(string path)
        => JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });

    private static IEnumerable<(string Place, string Value)> Strings(JsonDocument document)
    {
        var pending = new Stack<(string Place, JsonElement Element)>();
        pending.Push(("", document.RootElement));
        while (pending.TryPop(out var item))
        {
            switch (item.Element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in item.Element.EnumerateObject())
                    {
                        pending.Push((item.Place.Length == 0 ? property.Name : item.Place + "." + property.Name, property.Value));
                    }

                    break;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var element in item.Element.EnumerateArray())
                    {
                        pending.Push(($"{item.Place}.{index++}", element));
                    }

                    break;
                case JsonValueKind.String:
                    yield return (item.Place, item.Element.GetString()!);
                    break;
            }
        }
    }

    [GeneratedRegex("(?i)(token|secret|passw|pwd|api[-_]?key|apikey|credential|auth|cookie|private[-_]?key)")]
    private static partial Regex SecretName();

    [GeneratedRegex("(?i)[?&](key|token|secret|api[-_]?key|access_token|password)=")]
    private static partial Regex SecretQuery();
}
