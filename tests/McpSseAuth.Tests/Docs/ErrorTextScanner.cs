using System.Text.RegularExpressions;

namespace McpSseAuth.Tests.Docs;

/// <summary>One error text of the library as the source builds it: its literal parts (interpolation holes dropped).</summary>
/// <param name="File">The file, relative to the repository root.</param>
/// <param name="Line">The line of the literal.</param>
/// <param name="Parts">The literal's fragments between holes, trimmed; only those with a word in them.</param>
/// <param name="Code">The OAuth error code it is sent with, when it is an <c>OAuthError</c>'s description.</param>
internal sealed record ErrorText(string File, int Line, IReadOnlyList<string> Parts, string? Code)
{
    public string Shown => string.Join(" <…> ", Parts);
}

/// <summary>
/// Finds the error texts of C# source by where they go: an <c>OAuthError</c>, an exception, an options-validation failure,
/// a session refusal, a challenge header, a page's problem, or a method named <c>*Problem</c>/<c>Refusal</c>/<c>Describe</c>
/// that returns one. A small lexer keeps strings, characters and comments apart from code, so a parenthesis in a message
/// or a quote in a comment does not confuse it. Heuristic by design: it errs towards reporting too much.
/// </summary>
internal static partial class ErrorTextScanner
{
    // Exceptions whose message nobody sees: token validation failures (the challenge says Describe's fixed text instead),
    // and a fetch refusal caught on the spot ("could not be fetched" is what is told).
    private static readonly string[] UnseenExceptionPrefixes = ["SecurityToken", "AccessTokenRevoked", "HttpRequest"];

    // Internal invariants no configuration or request can reach.
    private static readonly string[] Unreachable = ["The current key must be among the verifying keys."];

    public static IReadOnlyList<ErrorText> Scan(string file, string source, IReadOnlyDictionary<string, string> factoryCodes, IReadOnlyDictionary<string, string> codeConstants)
    {
        var (masked, literals) = Lex(source);
        var found = new List<ErrorText>();
        void Take(int start, int end, string? code)
        {
            foreach (var literal in literals.Where(l => l.Start >= start && l.Start < end && !IsOperand(masked, l)))
            {
                var parts = literal.Parts.Select(p => p.Trim()).Where(HasWord).ToArray();
                if (parts.Length > 0 && !Unreachable.Contains(string.Join(" ", parts), StringComparer.Ordinal)
                    && !(code is not null && parts is [var only] && only == code))
                {
                    found.Add(new ErrorText(file, LineOf(source, literal.Start), parts, code));
                }
            }
        }

        // OAuthError.Xxx(...): the description, and the code the factory gives it. A bare parameter as description
        // (OAuthError.InvalidScope(refusal)) is followed to the calls of the method that takes it.
        foreach (Match m in FactoryCall().Matches(masked))
        {
            if (!factoryCodes.TryGetValue(m.Groups[1].Value, out var code))
            {
                continue;
            }

            var open = m.Index + m.Length - 1;
            var close = Balanced(masked, open);
            Take(open, close, code);
            var argument = masked[(open + 1)..close].Trim();
            if (IdentifierOnly().IsMatch(argument))
            {
                foreach (var (start, end) in CallsOfMethodTaking(masked, argument, m.Index))
                {
                    Take(start, end, code);
                }
            }
        }

        foreach (Match m in NewOAuthError().Matches(masked))
        {
            var open = m.Index + m.Length - 1;
            var close = Balanced(masked, open);
            var codeRef = CodeReference().Match(masked[open..close]);
            var first = literals.FirstOrDefault(l => l.Start > open && l.Start < close);
            var code = codeRef.Success ? codeConstants[codeRef.Groups[1].Value] : first?.Parts[0];
            Take(open, close, code);
        }

        foreach (Match m in NewException().Matches(masked))
        {
            if (!UnseenExceptionPrefixes.Any(p => m.Groups[1].Value.StartsWith(p, StringComparison.Ordinal)))
            {
                var open = m.Index + m.Length - 1;
                Take(open, Balanced(masked, open), null);
            }
        }

        foreach (Match m in OtherCall().Matches(masked))
        {
            // A declaration (Task RefuseAsync(HttpContext context, ...)) is no call.
            if (!IsDeclaration(masked, m.Index))
            {
                var open = m.Index + m.Length - 1;
                Take(open, Balanced(masked, open), null);
            }
        }

        foreach (Match m in Statement().Matches(masked))
        {
            Take(m.Index, StatementEnd(masked, m.Index + m.Length), null);
        }

        foreach (Match m in TextMethod().Matches(masked))
        {
            var bodyStart = Balanced(masked, m.Index + m.Length - 1) + 1;
            var arrow = masked.IndexOf("=>", bodyStart, StringComparison.Ordinal);
            var brace = masked.IndexOf('{', bodyStart);
            var end = arrow >= 0 && (brace < 0 || arrow < brace) ? StatementEnd(masked, arrow) : Balanced(masked, brace);
            Take(bodyStart, end, null);
        }

        // A JSON-RPC error written as one literal: its message.
        foreach (Match m in RpcMessage().Matches(source))
        {
            found.Add(new ErrorText(file, LineOf(source, m.Index), [Unescape(m.Groups[1].Value)], null));
        }

        // A text seen by two sinks (an OAuthError returned in a tuple) is kept once, with its code.
        return [.. found.GroupBy(t => (t.Line, t.Shown)).Select(g => g.FirstOrDefault(t => t.Code is not null) ?? g.First())];
    }

    /// <summary>The argument lists of the calls, in this file, of the method that declares <paramref name="parameter"/> before <paramref name="position"/>.</summary>
    private static IEnumerable<(int Start, int End)> CallsOfMethodTaking(string masked, string parameter, int position)
    {
        var declarations = new Regex(@"\b(\w+)\(([^()]*)\bstring\??\s+" + Regex.Escape(parameter) + @"\b", RegexOptions.None, TimeSpan.FromSeconds(1))
            .Matches(masked[..position]);
        if (declarations.Count == 0)
        {
            yield break;
        }

        var method = declarations[^1].Groups[1].Value;
        foreach (Match call in new Regex(@"\b" + Regex.Escape(method) + @"\(", RegexOptions.None, TimeSpan.FromSeconds(1)).Matches(masked))
        {
            if (!IsDeclaration(masked, call.Index))
            {
                var open = call.Index + call.Length - 1;
                yield return (open, Balanced(masked, open));
            }
        }
    }

    /// <summary>Whether the name at <paramref name="index"/> is declared there (a type before it), not called.</summary>
    private static bool IsDeclaration(string masked, int index)
    {
        var before = masked[Math.Max(0, index - 60)..index].TrimEnd();
        if (before.Length < 2 || !(char.IsLetterOrDigit(before[^1]) || before[^1] is '>' or '?' or ']' or '_'))
        {
            return false;
        }

        // "=>" and "a ? b" end in '>' and '?' too; a type (IList<string>, string?) has them right after a name.
        if (before[^1] is '>' or '?' && !(char.IsLetterOrDigit(before[^2]) || before[^2] is '>' or '_'))
        {
            return false;
        }

        var word = LastWord().Match(before).Value;
        return word is not ("return" or "await" or "is" or "not" or "new" or "throw" or "in" or "case" or "else" or "yield");
    }

    /// <summary>A literal that is compared with or looked up, not said: <c>x == "a"</c>, <c>is "a"</c>, <c>q["a"]</c>, <c>s.StartsWith("a")</c>.</summary>
    private static bool IsOperand(string masked, Literal literal)
    {
        var before = masked[Math.Max(0, literal.Start - 40)..literal.Start].TrimEnd();
        var after = masked[literal.End..Math.Min(masked.Length, literal.End + 10)].TrimStart();
        return before.EndsWith("==", StringComparison.Ordinal) || before.EndsWith("!=", StringComparison.Ordinal)
            || LastWord().Match(before).Value is "is" or "not" || after.StartsWith(']') || after.StartsWith("==", StringComparison.Ordinal)
            || StringMethodCall().IsMatch(before);
    }

    /// <summary>Whether a fragment says something: a run of three letters.</summary>
    private static bool HasWord(string part) => Word().IsMatch(part);

    private static int LineOf(string source, int index) => source.AsSpan(0, index).Count('\n') + 1;

    /// <summary>The index of the bracket closing the one at <paramref name="open"/>.</summary>
    private static int Balanced(string masked, int open)
    {
        var depth = 0;
        for (var i = open; i < masked.Length; i++)
        {
            depth += masked[i] switch { '(' or '[' or '{' => 1, ')' or ']' or '}' => -1, _ => 0 };
            if (depth == 0)
            {
                return i;
            }
        }

        return masked.Length;
    }

    /// <summary>The index of the ';' (or the unmatched closing bracket) that ends the statement going on at <paramref name="from"/>.</summary>
    private static int StatementEnd(string masked, int from)
    {
        var depth = 0;
        for (var i = from; i < masked.Length; i++)
        {
            switch (masked[i])
            {
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    if (--depth < 0)
                    {
                        return i;
                    }

                    break;
                case ';' when depth == 0:
                    return i;
            }
        }

        return masked.Length;
    }

    private static string Unescape(string text) => text.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    [GeneratedRegex(@"\bOAuthError\.(\w+)\(")]
    private static partial Regex FactoryCall();

    [GeneratedRegex(@"\bnew OAuthError\(")]
    private static partial Regex NewOAuthError();

    [GeneratedRegex(@"\bOAuthErrorCodes\.(\w+)")]
    private static partial Regex CodeReference();

    [GeneratedRegex(@"\bnew (\w*Exception)\(")]
    private static partial Regex NewException();

    // Options validation, refusals (a session's, a sign-in's, and the reasons logged with them), relayed session errors,
    // and the pages' problems.
    [GeneratedRegex(@"\b(failures\.Add|\w*Refuse\w*|WritePageAsync|NotFound|RpcError)\(")]
    private static partial Regex OtherCall();

    // A problem handed on to a message, a method's (null, "why") answer, and challenge headers.
    [GeneratedRegex(@"\b(var problem =|problem =|return \(null,|WWWAuthenticate\s*=|header\s*\+?=)\s")]
    private static partial Regex Statement();

    [GeneratedRegex(@"\bstring\??\s+(\w*Problem|Refusal|Describe)\(")]
    private static partial Regex TextMethod();

    [GeneratedRegex(@"\\""message\\"":\\""([^\\""]+)\\""")]
    private static partial Regex RpcMessage();

    [GeneratedRegex(@"\.(StartsWith|EndsWith|Contains|Equals|IndexOf|Split|Replace|Trim\w*)\($")]
    private static partial Regex StringMethodCall();

    [GeneratedRegex(@"\w+$")]
    private static partial Regex LastWord();

    [GeneratedRegex(@"^@?[A-Za-z_]\w*$")]
    private static partial Regex IdentifierOnly();

    [GeneratedRegex(@"\p{L}{3}")]
    private static partial Regex Word();
}
