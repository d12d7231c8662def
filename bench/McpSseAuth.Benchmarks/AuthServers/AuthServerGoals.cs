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
            // The login step's CPU is the login flow's less the signed-in flow's; the check is timed apart, so on a machine
            // whose speed drifts the two are compared, not divided.
            var loginCpu = logins.Average(r => r.ServerCpuMsPerOp);
            var step = loginCpu - flows.Average(r => r.ServerCpuMsPerOp);
            lines.Add(Invariant(
                $"flow-login: {memory} {logins.Average(r => r.PerSecond):0}/s vs {flows.Average(r => r.PerSecond):0}/s signed in; server CPU {loginCpu:0.0} ms per flow-login, of which the login step {step:0.0} ms ({step / loginCpu:P0}); one password check (PBKDF2-HMAC-SHA512, 210,000 iterations) takes {hash:0.0} ms of CPU on this machine"));
        }

        return lines;
    }

    /// <summary>
    /// The CPU time of one password check as the sample's login makes it (PBKDF2-HMAC-SHA512, 210,000 iterations): this
    /// process's CPU time over 5 checks run one after the other (CPU, not elapsed time, so a busy or throttled machine does
    /// not inflate it), per check.
    /// </summary>
    public static double MeasurePasswordHashMs()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        Rfc2898DeriveBytes.Pbkdf2("alice"u8, salt, 210_000, HashAlgorithmName.SHA512, 32);
        using var self = Process.GetCurrentProcess();
        var before = self.TotalProcessorTime;
        for (var i = 0; i < 5; i++)
        {
            Rfc2898DeriveBytes.Pbkdf2("alice"u8, salt, 210_000, HashAlgorithmName.SHA512, 32);
        }

        self.Refresh();
        return (self.TotalProcessorTime - before).TotalMilliseconds / 5;
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
