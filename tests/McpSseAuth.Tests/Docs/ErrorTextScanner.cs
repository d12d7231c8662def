using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

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
/// that returns one. Roslyn parses the source, so strings, comments and interpolation holes are told apart as the compiler
/// does; no types are resolved, so sinks are recognised by name. Heuristic by design: it errs towards reporting too much.
/// </summary>
internal static partial class ErrorTextScanner
{
    // Exceptions whose message nobody sees: token validation failures (the challenge says Describe's fixed text instead),
    // and a fetch refusal caught on the spot ("could not be fetched" is what is told).
    private static readonly string[] UnseenExceptionPrefixes = ["SecurityToken", "AccessTokenRevoked", "HttpRequest"];

    // Internal invariants no configuration or request can reach.
    private static readonly string[] Unreachable = ["The current key must be among the verifying keys."];

    // String methods whose arguments are compared or looked up (s.StartsWith("Bearer ")), not said.
    private static readonly string[] ComparingMethods = ["StartsWith", "EndsWith", "Contains", "Equals", "IndexOf", "Split", "Replace"];

    public static IReadOnlyList<ErrorText> Scan(string file, string source, IReadOnlyDictionary<string, string> factoryCodes, IReadOnlyDictionary<string, string> codeConstants)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetCompilationUnitRoot();
        var found = new List<ErrorText>();
        void Take(SyntaxNode? scope, string? code)
        {
            foreach (var (line, fragments) in Texts(scope))
            {
                var parts = fragments.Select(p => p.Trim()).Where(HasWord).ToArray();
                if (parts.Length > 0 && !Unreachable.Contains(string.Join(" ", parts), StringComparer.Ordinal)
                    && !(code is not null && parts is [var only] && only == code))
                {
                    found.Add(new ErrorText(file, line, parts, code));
                }
            }
        }

        foreach (var node in root.DescendantNodes())
        {
            switch (node)
            {
                // OAuthError.Xxx(...): the description, and the code the factory gives it. A bare parameter as description
                // (OAuthError.InvalidScope(refusal)) is followed to the calls of the method that takes it.
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } call
                    when CalledName(access.Expression) == "OAuthError" && factoryCodes.TryGetValue(access.Name.Identifier.ValueText, out var code):
                    Take(call.ArgumentList, code);
                    if (call.ArgumentList.Arguments is [{ Expression: IdentifierNameSyntax parameter }])
                    {
                        foreach (var argument in ArgumentsPassedAs(root, parameter))
                        {
                            Take(argument, code);
                        }
                    }

                    break;

                // new OAuthError(code, description, status): the code is a constant of OAuthErrorCodes or a literal.
                case ObjectCreationExpressionSyntax creation when TypeName(creation.Type) == "OAuthError":
                    Take(creation.ArgumentList, creation.ArgumentList?.Arguments.FirstOrDefault()?.Expression switch
                    {
                        MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "OAuthErrorCodes" }, Name.Identifier.ValueText: var name } => codeConstants[name],
                        LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression) => literal.Token.ValueText,
                        _ => null,
                    });
                    break;

                case ObjectCreationExpressionSyntax creation when TypeName(creation.Type) is { } type && type.EndsWith("Exception", StringComparison.Ordinal)
                                                                  && !UnseenExceptionPrefixes.Any(p => type.StartsWith(p, StringComparison.Ordinal)):
                    Take(creation.ArgumentList, null);
                    break;

                // Options validation, refusals (a session's, a sign-in's, and the reasons logged with them), relayed session
                // errors, and the pages' problems.
                case InvocationExpressionSyntax call when IsTextCall(call.Expression):
                    Take(call.ArgumentList, null);
                    break;

                case ObjectCreationExpressionSyntax creation when TypeName(creation.Type) is { } type && TextCall().IsMatch(type):
                    Take(creation.ArgumentList, null);
                    break;

                // A problem handed on to a message, and challenge headers.
                case VariableDeclaratorSyntax { Identifier.ValueText: "problem" or "header", Initializer: { } initializer }:
                    Take(initializer.Value, null);
                    break;

                case AssignmentExpressionSyntax assignment when IsTextAssignment(assignment):
                    Take(assignment.Right, null);
                    break;

                // A method's (null, "why") answer.
                case ReturnStatementSyntax { Expression: TupleExpressionSyntax { Arguments: [{ Expression: LiteralExpressionSyntax first }, ..] } answer }
                    when first.IsKind(SyntaxKind.NullLiteralExpression):
                    Take(answer, null);
                    break;

                case MethodDeclarationSyntax method when IsText(method.ReturnType) && TextMethod().IsMatch(method.Identifier.ValueText):
                    Take((SyntaxNode?)method.Body ?? method.ExpressionBody, null);
                    break;

                case LocalFunctionStatementSyntax function when IsText(function.ReturnType) && TextMethod().IsMatch(function.Identifier.ValueText):
                    Take((SyntaxNode?)function.Body ?? function.ExpressionBody, null);
                    break;
            }
        }

        // A JSON-RPC error written as one literal: its message.
        foreach (var (line, fragments) in Texts(root, includeOperands: true))
        {
            foreach (var fragment in fragments)
            {
                foreach (Match m in RpcMessage().Matches(fragment))
                {
                    found.Add(new ErrorText(file, line, [m.Groups[1].Value], null));
                }
            }
        }

        // A text seen by two sinks (an OAuthError returned in a tuple) is kept once, with its code.
        return [.. found.GroupBy(t => (t.Line, t.Shown)).Select(g => g.FirstOrDefault(t => t.Code is not null) ?? g.First()).OrderBy(t => t.Line)];
    }

    /// <summary>
    /// The arguments given, in this file, for <paramref name="parameter"/> of the method (or local function, or constructor)
    /// around it that declares it as a string.
    /// </summary>
    private static IEnumerable<ExpressionSyntax> ArgumentsPassedAs(SyntaxNode root, IdentifierNameSyntax parameter)
    {
        var name = parameter.Identifier.ValueText;
        var (method, parameters) = parameter.Ancestors().Select<SyntaxNode, (string? Name, ParameterListSyntax? Parameters)>(a => a switch
        {
            BaseMethodDeclarationSyntax m => (MethodName(m), m.ParameterList),
            LocalFunctionStatementSyntax f => (f.Identifier.ValueText, f.ParameterList),
            _ => (null, null),
        }).FirstOrDefault(m => m.Parameters?.Parameters.Any(p => p.Identifier.ValueText == name) == true);
        var index = parameters?.Parameters.IndexOf(p => p.Identifier.ValueText == name) ?? -1;
        if (method is null || parameters is null || !IsText(parameters.Parameters[index].Type))
        {
            yield break;
        }

        foreach (var node in root.DescendantNodes())
        {
            var arguments = node switch
            {
                InvocationExpressionSyntax call when CalledName(call.Expression) == method => call.ArgumentList.Arguments,
                ObjectCreationExpressionSyntax creation when TypeName(creation.Type) == method => creation.ArgumentList?.Arguments,
                _ => null,
            };
            if (arguments is not { } list)
            {
                continue;
            }

            var named = list.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == name);
            var argument = named ?? (index < list.Count && list[index].NameColon is null ? list[index] : null);
            if (argument is not null)
            {
                yield return argument.Expression;
            }
        }
    }

    /// <summary>
    /// The string texts under <paramref name="scope"/> with the line each starts on, split at interpolation holes and at the
    /// operands of a concatenation that are not strings. Strings inside a hole are not looked at: they are part of a value.
    /// Unless <paramref name="includeOperands"/>, strings that are compared or looked up are left out.
    /// </summary>
    private static IEnumerable<(int Line, IReadOnlyList<string> Fragments)> Texts(SyntaxNode? scope, bool includeOperands = false)
    {
        var pending = new Stack<SyntaxNode>();
        if (scope is not null)
        {
            pending.Push(scope);
        }

        while (pending.TryPop(out var node))
        {
            if (Fragments(node) is { } fragments)
            {
                if (fragments.Count > 0 && (includeOperands || !IsOperand(node)))
                {
                    yield return (FirstString(node).GetLocation().GetLineSpan().StartLinePosition.Line + 1, fragments);
                }

                // A concatenation's other operands (a ? "b" : "c") may hold texts of their own.
                if (node is BinaryExpressionSyntax concatenation)
                {
                    foreach (var operand in Operands(concatenation).Where(o => Fragments(o) is null).Reverse())
                    {
                        pending.Push(operand);
                    }
                }

                continue;
            }

            foreach (var child in node.ChildNodes().Reverse())
            {
                pending.Push(child);
            }
        }
    }

    /// <summary>The text fragments of a string expression, or null when <paramref name="node"/> is none.</summary>
    private static List<string>? Fragments(SyntaxNode node)
    {
        switch (node)
        {
            case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression) || literal.IsKind(SyntaxKind.Utf8StringLiteralExpression):
                return [literal.Token.ValueText];
            case InterpolatedStringExpressionSyntax interpolated:
                return [.. interpolated.Contents.OfType<InterpolatedStringTextSyntax>().Select(t => t.TextToken.ValueText)];
            case BinaryExpressionSyntax concatenation when concatenation.IsKind(SyntaxKind.AddExpression):
                var operands = Operands(concatenation).ToArray();
                var strings = operands.Select(Fragments).ToArray();
                return strings.Any(s => s is not null) ? [.. strings.SelectMany(s => s ?? [])] : null;
            case ParenthesizedExpressionSyntax parenthesized when parenthesized.Parent is BinaryExpressionSyntax:
                return Fragments(parenthesized.Expression);
            default:
                return null;
        }
    }

    /// <summary>The operands of a chain of '+', left to right.</summary>
    private static IEnumerable<ExpressionSyntax> Operands(BinaryExpressionSyntax concatenation)
        => new[] { concatenation.Left, concatenation.Right }.SelectMany(e => e is BinaryExpressionSyntax inner && inner.IsKind(SyntaxKind.AddExpression) ? Operands(inner) : [e]);

    /// <summary>The first string token of a string expression, whose line a text is reported at.</summary>
    private static SyntaxNode FirstString(SyntaxNode node)
        => node.DescendantNodesAndSelf().FirstOrDefault(n => n is InterpolatedStringExpressionSyntax || n is LiteralExpressionSyntax l && Fragments(l) is not null) ?? node;

    /// <summary>A string that is compared with or looked up, not said: <c>x == "a"</c>, <c>is "a"</c>, <c>q["a"]</c>, <c>s.StartsWith("a")</c>.</summary>
    private static bool IsOperand(SyntaxNode text)
    {
        var parent = text.Parent;
        while (parent is ParenthesizedExpressionSyntax)
        {
            parent = parent.Parent;
        }

        return parent switch
        {
            BinaryExpressionSyntax comparison => comparison.IsKind(SyntaxKind.EqualsExpression) || comparison.IsKind(SyntaxKind.NotEqualsExpression),
            ConstantPatternSyntax or CaseSwitchLabelSyntax => true,
            ArgumentSyntax { Parent: BracketedArgumentListSyntax } => true,
            ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: var method } } } =>
                ComparingMethods.Contains(method, StringComparer.Ordinal) || method.StartsWith("Trim", StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>Options validation (failures.Add) and the calls named in <see cref="TextCall"/>.</summary>
    private static bool IsTextCall(ExpressionSyntax called)
        => called is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Add", Expression: var target } && CalledName(target) == "failures"
           || CalledName(called) is { } name && TextCall().IsMatch(name);

    /// <summary><c>problem = ...</c>, <c>header = ...</c> or <c>header += ...</c>, and <c>....WWWAuthenticate = ...</c>.</summary>
    private static bool IsTextAssignment(AssignmentExpressionSyntax assignment)
        => (CalledName(assignment.Left), assignment.Kind()) is
            ("problem" or "header" or "WWWAuthenticate", SyntaxKind.SimpleAssignmentExpression) or ("header", SyntaxKind.AddAssignmentExpression);

    /// <summary>The name an expression ends in: <c>Refuse</c> of <c>context.Refuse</c>, <c>this.Refuse</c> or <c>Refuse</c>.</summary>
    private static string? CalledName(ExpressionSyntax expression) => expression switch
    {
        SimpleNameSyntax name => name.Identifier.ValueText,
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>The last name of a type: <c>ArgumentException</c> of <c>System.ArgumentException</c>.</summary>
    private static string? TypeName(TypeSyntax type) => type switch
    {
        SimpleNameSyntax name => name.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        _ => null,
    };

    private static string? MethodName(BaseMethodDeclarationSyntax method) => method switch
    {
        MethodDeclarationSyntax m => m.Identifier.ValueText,
        ConstructorDeclarationSyntax c => c.Identifier.ValueText,
        _ => null,
    };

    /// <summary>Whether a type is <c>string</c> or <c>string?</c>.</summary>
    private static bool IsText(TypeSyntax? type)
        => (type is NullableTypeSyntax nullable ? nullable.ElementType : type) is PredefinedTypeSyntax predefined && predefined.Keyword.IsKind(SyntaxKind.StringKeyword);

    /// <summary>Whether a fragment says something: a run of three letters.</summary>
    private static bool HasWord(string part) => Word().IsMatch(part);

    [GeneratedRegex(@"^(\w*Refuse\w*|WritePageAsync|NotFound|RpcError)$")]
    private static partial Regex TextCall();

    [GeneratedRegex(@"^(\w*Problem|Refusal|Describe)$")]
    private static partial Regex TextMethod();

    [GeneratedRegex(@"""message"":""([^""\\]+)""")]
    private static partial Regex RpcMessage();

    [GeneratedRegex(@"\p{L}{3}")]
    private static partial Regex Word();
}
