using System.Text.RegularExpressions;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Docs;

/// <summary>
/// docs/errors.md against the source: every error text the library builds, every OAuth error code with its status, and
/// every log event must be in the reference. A new error without a row fails here, naming its file and line.
/// </summary>
public sealed partial class ErrorReferenceTests
{
    private static readonly string ReferencePath = Path.Combine(Repository.Root, "docs", "errors.md");

    // One entry per line (table rows), compared with runs of white space made one space.
    private static readonly string[] ReferenceLines = [.. File.ReadAllLines(ReferencePath).Select(Normalize)];

    private static readonly (string File, string Text)[] Sources = [.. Directory
        .EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.cs", SearchOption.AllDirectories)
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                 && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .Select(f => (Path.GetRelativePath(Repository.Root, f).Replace('\\', '/'), File.ReadAllText(f)))];

    private static readonly string OAuthErrorSource = Sources.Single(s => s.File.EndsWith("/Http/OAuthError.cs", StringComparison.Ordinal)).Text;

    private static readonly string OAuthErrorCodesSource = Sources.Single(s => s.File.EndsWith("/Http/OAuthErrorCodes.cs", StringComparison.Ordinal)).Text;

    /// <summary>OAuthErrorCodes' constants: name → code.</summary>
    private static readonly Dictionary<string, string> CodeConstants = CodeConstant().Matches(OAuthErrorCodesSource)
        .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    /// <summary>OAuthError's factories: name → (code, status).</summary>
    private static readonly Dictionary<string, (string Code, int Status)> Factories = Factory().Matches(OAuthErrorSource)
        .ToDictionary(m => m.Groups[1].Value, m => (CodeConstants[m.Groups[2].Value], int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)), StringComparer.Ordinal);

    private static IReadOnlyList<ErrorText> Scan(string file, string source)
        => ErrorTextScanner.Scan(file, source, Factories.ToDictionary(f => f.Key, f => f.Value.Code, StringComparer.Ordinal), CodeConstants);

    private static readonly IReadOnlyList<ErrorText> LibraryTexts = [.. Sources.SelectMany(s => Scan(s.File, s.Text))];

    [Fact]
    public void EveryErrorTextOfTheLibrary_IsInTheReference()
    {
        var missing = LibraryTexts.Where(IsMissing).Select(Describe).ToArray();

        Assert.True(missing.Length == 0,
            $"docs/errors.md does not list {missing.Length} error text(s) the library emits. Add each on one line (a table row) with its exact " +
            "words, interpolated parts written as <name>, and its error code when it has one:" + Environment.NewLine +
            string.Join(Environment.NewLine, missing));
    }

    [Fact]
    public void EveryOAuthErrorCodeTheLibrarySends_IsListedWithItsStatus()
    {
        var sent = new HashSet<(string Code, int Status)>();
        foreach (var (_, text) in Sources)
        {
            foreach (Match m in FactoryCall().Matches(text))
            {
                if (Factories.TryGetValue(m.Groups[1].Value, out var factory))
                {
                    sent.Add(factory);
                }
            }

            foreach (Match m in DirectError().Matches(text))
            {
                var code = m.Groups[1].Success ? CodeConstants[m.Groups[1].Value] : m.Groups[2].Value;
                sent.Add((code, int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        Assert.True(sent.Count >= 15, $"Only {sent.Count} code/status pairs were found: the patterns no longer match OAuthError.cs.");
        var missing = sent.Where(p => !ReferenceLines.Any(line => line.Contains($"`{p.Code}`", StringComparison.Ordinal) && Regex.IsMatch(line, $@"\b{p.Status}\b")))
            .Select(p => $"{p.Code} {p.Status}").ToArray();
        Assert.True(missing.Length == 0, "docs/errors.md has no line naming these codes (in backticks) with their HTTP status: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryLogEvent_IsInTheLogTable()
    {
        var events = Sources.SelectMany(s => LoggerMessage().Matches(s.Text).Select(m => (Id: m.Groups[1].Value, Level: m.Groups[2].Value, Name: m.Groups[3].Value))).ToArray();
        var declared = Sources.Sum(s => Regex.Count(s.Text, @"\[LoggerMessage\("));

        Assert.True(events.Length == declared, $"{declared} [LoggerMessage] attributes, but only {events.Length} read as (id, LogLevel.X, \"...\", EventName = \"...\"): write them that way.");
        var missing = events.Where(e => !ReferenceLines.Any(line =>
                line.StartsWith('|') && line.Contains($"| {e.Id} |", StringComparison.Ordinal) &&
                line.Contains(e.Name, StringComparison.Ordinal) && line.Contains(e.Level, StringComparison.Ordinal)))
            .Select(e => $"{e.Id} {e.Level} {e.Name}").ToArray();
        Assert.True(missing.Length == 0, "docs/errors.md's log table lacks a row '| id | Level | EventName | ...' for: " + string.Join(", ", missing));
    }

    [Fact]
    public void Scanner_FindsEveryKindOfErrorTheLibraryBuilds()
    {
        // If the scanner stopped seeing a kind of error, the test above would pass without checking it.
        Assert.True(LibraryTexts.Count > 250, $"Only {LibraryTexts.Count} error texts found in src/.");
        AssertFound("Tokens/TokenEndpoint.cs", "invalid_request", "The grant_type parameter is missing.");
        AssertFound("Tokens/TokenTargets.cs", "invalid_scope", "A refresh may only narrow the scopes originally granted (RFC 6749 §6).");
        AssertFound("Clients/ClientMetadata.cs", "invalid_client_metadata", "must be a string.");
        AssertFound("Registration/RegistrationPolicy.cs", "invalid_token", "Registration on this server needs an initial access token from its operator (Authorization: Bearer).");
        AssertFound("Clients/RedirectUriRules.cs", null, "must not contain a fragment");
        AssertFound("Validation/McpOAuthChallengeHandler.cs", null, "The access token was issued for another resource");
        AssertFound("Mcp/SessionOwnerGuard.cs", null, "Forbidden: this session belongs to another user or another client.");
        AssertFound("Mcp/SessionRun.cs", null, "Session ended while the request was handled. Start a new session.");
        AssertFound("Hosting/TokenOptionsChecks.cs", null, "McpOAuthOptions.Tokens.ClockSkew must be between 0 and 5 minutes.");
        AssertFound("Users/AccessRuleCheck.cs", null, "Your account is not in a group that may use this server. Ask the server's administrator to add you.");
        AssertFound("McpOAuthRedisServiceCollectionExtensions.cs", null, "McpRedisOptions.KeyPrefix is empty: keep the default '");
        Assert.DoesNotContain(LibraryTexts, t => t.Parts.Contains("The access token expired.", StringComparer.Ordinal));
    }

    [Fact]
    public void Scanner_ReportsAnErrorAddedToTheSource_UntilTheReferenceListsIt()
    {
        // A file as someone might add it: a new error, one passed through a parameter, one concatenated, and decoys in a comment
        // and a string.
        const string source = """
            internal sealed class Widgets
            {
                // OAuthError.InvalidRequest("A comment is no error.") and a lone " quote.
                private const string Decoy = "OAuthError.InvalidRequest(\"A string is no error either.\")";

                public Task RedeemAsync(HttpContext context, string id)
                    => OAuthError.InvalidGrant($"The widget {id} was (already) redeemed; ask for {(id.Length > 1 ? "another" : "a new")} one.").WriteAsync(context);

                private static OAuthError Narrow(string refusal) => OAuthError.InvalidScope(refusal);

                private static OAuthError Ask() => Narrow("Only widgets you were granted may be narrowed.");

                private static void Check(List<string> failures, string name) => failures.Add("Widget " + name + $" is not known; known are {string.Join(", ", Known)}.");
            }
            """;

        var texts = Scan("src/McpSseAuth/Widgets.cs", source);

        var redeemed = Assert.Single(texts, t => t.Code == "invalid_grant");
        Assert.Equal(["The widget", "was (already) redeemed; ask for", "one."], redeemed.Parts);
        Assert.Equal(7, redeemed.Line);
        var narrowed = Assert.Single(texts, t => t.Code == "invalid_scope");
        Assert.Equal(["Only widgets you were granted may be narrowed."], narrowed.Parts);
        var unknown = Assert.Single(texts, t => t.Line == 13);
        Assert.Equal(["Widget", "is not known; known are"], unknown.Parts);
        Assert.DoesNotContain(texts, t => t.Shown.Contains("no error", StringComparison.Ordinal));
        Assert.All(texts, t => Assert.True(IsMissing(t)));
        Assert.Contains("src/McpSseAuth/Widgets.cs:7 [invalid_grant]", Describe(redeemed), StringComparison.Ordinal);
    }

    private static void AssertFound(string fileSuffix, string? code, string part)
        => Assert.Contains(LibraryTexts, t => t.File.EndsWith(fileSuffix, StringComparison.Ordinal) && t.Code == code && t.Parts.Contains(part, StringComparer.Ordinal));

    /// <summary>Missing unless one line of the reference holds every part of the text, and its code.</summary>
    private static bool IsMissing(ErrorText text)
        => !ReferenceLines.Any(line => text.Parts.All(p => line.Contains(Normalize(p), StringComparison.Ordinal))
                                       && (text.Code is null || line.Contains(text.Code, StringComparison.Ordinal)));

    private static string Describe(ErrorText text) => $"  {text.File}:{text.Line}{(text.Code is null ? "" : $" [{text.Code}]")} {text.Shown}";

    private static string Normalize(string text) => WhiteSpace().Replace(text, " ");

    [GeneratedRegex(@"public const string (\w+) = ""(\w+)"";")]
    private static partial Regex CodeConstant();

    [GeneratedRegex(@"public static OAuthError (\w+)\(string description\) => new\(OAuthErrorCodes\.(\w+), description, (\d{3})\);")]
    private static partial Regex Factory();

    [GeneratedRegex(@"\bOAuthError\.(\w+)\(")]
    private static partial Regex FactoryCall();

    [GeneratedRegex(@"new OAuthError\((?:OAuthErrorCodes\.(\w+)|""(\w+)""),[^;]*?Status(\d{3})")]
    private static partial Regex DirectError();

    [GeneratedRegex(@"\[LoggerMessage\((\d+), LogLevel\.(\w+), ""(?:[^""\\]|\\.)*"", EventName = ""(\w+)""\)\]")]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
