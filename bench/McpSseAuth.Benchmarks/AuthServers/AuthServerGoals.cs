using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>
/// The ratios issue #20 judges the authorization server by, from one run's results (means over the rounds): each of
/// McpSseAuth's storages against its in-memory storage (goal ≥ 0.5) and against oidc-provider (goal ≥ 2), the sample's
/// own logging against Warning, and the share of the password hash in a flow through the login form.
/// </summary>
internal static class AuthServerGoals
{
    private const string OidcProvider = "oidc-provider";

    /// <summary>One line per ratio, in plain text, for the console and the summary.</summary>
    public static IReadOnlyList<string> Lines(IReadOnlyList<AuthServerResult> results, double? passwordHashMs)
    {
        var lines = new List<string>();
        double? Rate(string server, string measure)
        {
            var runs = results.Where(r => r.Server == server && r.Measure == measure).ToList();
            return runs.Count == 0 ? null : runs.Average(r => r.PerSecond);
        }

        var memory = McpSseAuthFlow.NameOf(McpSseAuthStorage.Memory);
        var oidc = results.Select(r => r.Server).FirstOrDefault(s => s.StartsWith(OidcProvider, StringComparison.Ordinal));
        foreach (var measure in new[] { AuthServerBenchmark.RegisterMeasure, AuthServerBenchmark.FlowMeasure, AuthServerBenchmark.RefreshMeasure })
        {
            foreach (var storage in new[] { McpSseAuthStorage.Sqlite, McpSseAuthStorage.Redis })
            {
                if (Rate(McpSseAuthFlow.NameOf(storage), measure) is { } other && Rate(memory, measure) is { } inMemory)
                {
                    lines.Add(Invariant($"{measure}: {McpSseAuthFlow.NameOf(storage)} / {memory} = {other / inMemory:0.00} (goal >= 0.5)"));
                }
            }

            if (oidc is not null && Rate(oidc, measure) is { } theirs)
            {
                foreach (var storage in new[] { McpSseAuthStorage.Memory, McpSseAuthStorage.Sqlite, McpSseAuthStorage.Redis })
                {
                    if (Rate(McpSseAuthFlow.NameOf(storage), measure) is { } ours)
                    {
                        lines.Add(Invariant($"{measure}: {McpSseAuthFlow.NameOf(storage)} / {oidc} = {ours / theirs:0.00} (goal >= 2)"));
                    }
                }
            }

            if (Rate(McpSseAuthFlow.NameOf(McpSseAuthStorage.MemoryDefaultLogging), measure) is { } logged && Rate(memory, measure) is { } quiet)
            {
                lines.Add(Invariant($"{measure}: {McpSseAuthFlow.NameOf(McpSseAuthStorage.MemoryDefaultLogging)} / {memory} (Warning) = {logged / quiet:0.00}"));
            }
        }

        var errors = results.Where(r => r.Errors > 0).Select(r => Invariant($"{r.Server} {r.Measure}: {r.Errors} errors, first: {r.FirstError}")).ToList();
        lines.Add(errors.Count == 0 ? "errors: none (no 503 or other refusal in any measure)" : "errors: " + string.Join("; ", errors));

        var logins = results.Where(r => r.Measure == AuthServerBenchmark.FlowLoginMeasure && McpSseAuthFlow.IsMcpSseAuth(r.Server) && r.Server == memory).ToList();
        var flows = results.Where(r => r.Measure == AuthServerBenchmark.FlowMeasure && r.Server == memory).ToList();
        if (passwordHashMs is { } hash && logins.Count > 0 && flows.Count > 0)
        {
            var loginCpu = logins.Average(r => r.ServerCpuMsPerOp);
            lines.Add(Invariant(
                $"flow-login: {memory} {logins.Average(r => r.PerSecond):0}/s vs {flows.Average(r => r.PerSecond):0}/s signed in; server CPU {loginCpu:0.0} ms per flow-login, of which the password hash (PBKDF2-HMAC-SHA512, 210,000 iterations: {hash:0.0} ms here) is {hash / loginCpu:P0}"));
        }

        return lines;
    }

    /// <summary>The CPU time of one password check as the sample's login makes it (PBKDF2-HMAC-SHA512, 210,000 iterations), median of 5.</summary>
    public static double MeasurePasswordHashMs()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        Rfc2898DeriveBytes.Pbkdf2("alice"u8, salt, 210_000, HashAlgorithmName.SHA512, 32);
        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            Rfc2898DeriveBytes.Pbkdf2("alice"u8, salt, 210_000, HashAlgorithmName.SHA512, 32);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return times.Order().ElementAt(times.Count / 2);
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
