using System.Diagnostics;
using System.Text;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>Runs command lines as a user types them (git, dotnet), outside the test host's own build and ASP.NET settings.</summary>
internal static class Commands
{
    /// <summary>Runs <paramref name="arguments"/>[0] with the rest as arguments in <paramref name="folder"/>; throws with its output unless it exits 0.</summary>
    public static async Task<string> RunAsync(string folder, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        using var process = Start(folder, arguments, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{string.Join(' ', arguments)}' in {folder} did not end within {limit.TotalSeconds} s.");
        }

        // A grandchild that inherited the pipes could keep them open after the command exits: bounded too.
        var output = await stdout.WaitAsync(cancel.Token) + await stderr.WaitAsync(cancel.Token);
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"'{string.Join(' ', arguments)}' in {folder} exited with {process.ExitCode}:\n{output}");
    }

    /// <summary>Starts a command with its output redirected; <c>dotnet</c> is the host running the tests.</summary>
    public static Process Start(string folder, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(arguments[0] == "dotnet" ? SampleProcess.DotnetHost() : arguments[0])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        // What `dotnet test` and the test host set for themselves would change what a user's command does.
        foreach (var name in start.Environment.Keys.Where(IsTestHostSetting).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"'{arguments[0]}' could not be started.");
    }

    /// <summary>Splits a command line as a POSIX shell does for plain words, double and single quotes; a <c>#</c> word starts a comment.</summary>
    public static IReadOnlyList<string> SplitWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else if (c == '#' && !inWord)
            {
                break;
            }
            else if (c is '|' or '&' or ';' or '>' or '<' or '$' or '`' or '\\')
            {
                throw new FormatException($"'{line}' needs a shell ('{c}'): keep README commands to plain words and quotes.");
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (quote is not null)
        {
            throw new FormatException($"'{line}' has an unclosed quote.");
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    private static bool IsTestHostSetting(string name) =>
        name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("VSTEST_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("McpOAuth__", StringComparison.OrdinalIgnoreCase)
        || name is "DOTNET_STARTUP_HOOKS" or "DOTNET_ENVIRONMENT";
}
