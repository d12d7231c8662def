using System.Security.Claims;
using System.Text.RegularExpressions;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// The user's values a server's settings may name — <c>{{token}}</c>, <c>{{user.sub}}</c>, <c>{{user.email}}</c>,
/// <c>{{user.name}}</c> — and their substitution into args, env, url and headers.
/// </summary>
/// <param name="Subject">The user's subject (<c>sub</c>).</param>
/// <param name="Email">The user's e-mail address, when the token carries it.</param>
/// <param name="Name">The user's name, when the token carries it.</param>
/// <param name="Token">The user's stored token for the server, when it needs one and one is stored.</param>
internal sealed partial record UserValues(string Subject, string? Email, string? Name, string? Token)
{
    public const string TokenPlaceholder = "token";

    public static UserValues From(ClaimsPrincipal user, string? token)
        => new(user.FindFirst("sub")?.Value ?? "", user.FindFirst("email")?.Value, user.FindFirst("name")?.Value, token);

    /// <summary>The names of the placeholders in <paramref name="template"/>.</summary>
    public static IEnumerable<string> NamesIn(string template) => Placeholder().Matches(template).Select(m => m.Groups[1].Value);

    public static bool IsKnown(string name) => name is TokenPlaceholder or "user.sub" or "user.email" or "user.name";

    /// <summary>Whether any value of the server names <c>{{token}}</c>.</summary>
    public static bool NeedsToken(McpGatewayServer server)
        => Templates(server).Any(t => NamesIn(t).Contains(TokenPlaceholder, StringComparer.Ordinal));

    /// <summary>Every value of the server that may hold placeholders.</summary>
    public static IEnumerable<string> Templates(McpGatewayServer server)
        => server.Args.Concat(server.Env.Values).Concat(server.Headers.Values).Concat(server.Url is null ? [] : [server.Url.OriginalString]);

    /// <summary>The template with the user's values in; a value the user lacks becomes empty.</summary>
    public string Fill(string template) => Fill(template, static v => v);

    /// <summary>The template with the user's values in, each passed through <paramref name="encode"/> (e.g. for a URL).</summary>
    public string Fill(string template, Func<string, string> encode)
        => template.Contains("{{", StringComparison.Ordinal)
            ? Placeholder().Replace(template, m => m.Groups[1].Value switch
            {
                TokenPlaceholder => encode(Token ?? ""),
                "user.sub" => encode(Subject),
                "user.email" => encode(Email ?? ""),
                "user.name" => encode(Name ?? ""),
                _ => m.Value,
            })
            : template;

    [GeneratedRegex(@"\{\{\s*([A-Za-z_.]+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
