using System.Globalization;
using System.Text;

namespace McpSseAuth.Tests.Docs;

/// <summary>The scanner's lexer: C# string literals (regular, verbatim, interpolated, raw), characters and comments.</summary>
internal static partial class ErrorTextScanner
{
    private sealed record Literal(int Start, int End, IReadOnlyList<string> Parts);

    /// <summary>
    /// The source with comments, characters and strings blanked (same length, so indexes agree), and the string literals
    /// with their text split at interpolation holes.
    /// </summary>
    private static (string Masked, List<Literal> Literals) Lex(string source)
    {
        var masked = source.ToCharArray();
        var literals = new List<Literal>();
        var i = 0;
        while (i < source.Length)
        {
            var start = i;
            if (At(source, i, "//"))
            {
                i = source.IndexOf('\n', i) is var nl and >= 0 ? nl : source.Length;
            }
            else if (At(source, i, "/*"))
            {
                i = source.IndexOf("*/", i + 2, StringComparison.Ordinal) is var close and >= 0 ? close + 2 : source.Length;
            }
            else if (source[i] == '\'')
            {
                i++;
                while (i < source.Length && source[i] != '\'')
                {
                    i += source[i] == '\\' ? 2 : 1;
                }

                i++;
            }
            else if (StringStart(source, i) is { } prefix)
            {
                var (end, parts) = ReadString(source, i, prefix);
                literals.Add(new Literal(start, end, parts));
                i = end;
            }
            else
            {
                i++;
                continue;
            }

            for (var j = start; j < Math.Min(i, source.Length); j++)
            {
                if (masked[j] != '\n')
                {
                    masked[j] = ' ';
                }
            }
        }

        return (new string(masked), literals);
    }

    private static bool At(string source, int i, string text) => string.CompareOrdinal(source, i, text, 0, text.Length) == 0;

    /// <summary>The prefix of a string literal starting at <paramref name="i"/> ($, @, $@, $$ ..., up to the first quote), or null.</summary>
    private static string? StringStart(string source, int i)
    {
        var j = i;
        while (j < source.Length && source[j] is '$' or '@')
        {
            j++;
        }

        // An identifier's last letter before '$' or '@' cannot start a literal; neither can a lone '@' before a name.
        return j < source.Length && source[j] == '"' && (i == 0 || !char.IsLetterOrDigit(source[i - 1]) && source[i - 1] != '_') ? source[i..j] : null;
    }

    /// <summary>Reads a literal whose prefix starts at <paramref name="i"/>; returns the index after it and its fragments.</summary>
    private static (int End, List<string> Parts) ReadString(string source, int i, string prefix)
    {
        var interpolated = prefix.Contains('$', StringComparison.Ordinal);
        var verbatim = prefix.Contains('@', StringComparison.Ordinal);
        var dollars = prefix.Count(c => c == '$');
        var j = i + prefix.Length;
        var parts = new List<string>();
        var text = new StringBuilder();

        var quotes = 0;
        while (j + quotes < source.Length && source[j + quotes] == '"')
        {
            quotes++;
        }

        if (quotes >= 3)
        {
            // A raw string: content up to the same run of quotes; holes are {...} repeated as many times as the dollars.
            j += quotes;
            var closing = new string('"', quotes);
            var close = source.IndexOf(closing, j, StringComparison.Ordinal);
            close = close < 0 ? source.Length : close;
            parts.Add(source[j..close]);
            return (close + quotes, parts);
        }

        j++;
        while (j < source.Length)
        {
            var c = source[j];
            if (c == '"' && verbatim && j + 1 < source.Length && source[j + 1] == '"')
            {
                text.Append('"');
                j += 2;
            }
            else if (c == '"')
            {
                j++;
                break;
            }
            else if (c == '\\' && !verbatim)
            {
                var (decoded, length) = Escape(source, j);
                text.Append(decoded);
                j += length;
            }
            else if (interpolated && c == '{' && j + 1 < source.Length && source[j + 1] == '{' && dollars == 1)
            {
                text.Append('{');
                j += 2;
            }
            else if (interpolated && c == '}' && j + 1 < source.Length && source[j + 1] == '}' && dollars == 1)
            {
                text.Append('}');
                j += 2;
            }
            else if (interpolated && c == '{')
            {
                parts.Add(text.ToString());
                text.Clear();
                j = SkipHole(source, j);
            }
            else
            {
                text.Append(c);
                j++;
            }
        }

        parts.Add(text.ToString());
        return (j, parts);
    }

    /// <summary>Skips an interpolation hole from its '{'; strings inside it are read (and dropped) so their braces do not count.</summary>
    private static int SkipHole(string source, int j)
    {
        var depth = 0;
        while (j < source.Length)
        {
            if (source[j] == '\'')
            {
                j++;
                while (j < source.Length && source[j] != '\'')
                {
                    j += source[j] == '\\' ? 2 : 1;
                }

                j++;
                continue;
            }

            if (StringStart(source, j) is { } prefix)
            {
                j = ReadString(source, j, prefix).End;
                continue;
            }

            depth += source[j] switch { '{' or '(' or '[' => 1, '}' or ')' or ']' => -1, _ => 0 };
            j++;
            if (depth == 0)
            {
                return j;
            }
        }

        return j;
    }

    private static (string Text, int Length) Escape(string source, int j)
    {
        var next = j + 1 < source.Length ? source[j + 1] : '\\';
        return next switch
        {
            'n' => ("\n", 2),
            'r' => ("\r", 2),
            't' => ("\t", 2),
            '0' => ("\0", 2),
            'u' when j + 5 < source.Length => (((char)int.Parse(source.AsSpan(j + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString(), 6),
            _ => (next.ToString(), 2),
        };
    }
}
