using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// The official MCP conformance suite (<c>@modelcontextprotocol/conformance</c>, pinned by tests/e2e-ts/package-lock.json)
/// run as <c>conformance authorization</c> against an authorization server. The suite needs Node ≥ 22: it runs on the
/// <c>node</c> npm package pinned beside it (<c>node_modules/node/bin</c> first on PATH), never on the machine's Node.
/// <para>
/// Its <c>authorization-code-grant</c> scenario listens on <c>http://127.0.0.1:PORT/callback</c>, prints the authorization
/// URL and waits for a browser to come back: <paramref name="signIn"/> plays the browser (from that URL to the redirect that
/// leaves the server), and this class delivers that redirect to the suite's callback. The results come from the
/// <c>checks.json</c> that <c>-o DIR</c> writes per scenario (<c>DIR/authorization-server-SCENARIO-TIMESTAMP/checks.json</c>).
/// </para>
/// </summary>
public static partial class ConformanceSuite
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    public static string Folder => TypeScriptClient.Folder;

    public static string NodeBin => Path.Combine(Folder, "node_modules", "node", "bin");

    public static string Cli => Path.Combine(Folder, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");

    /// <summary>One check of a scenario's <c>checks.json</c>: status is SUCCESS, FAILURE, WARNING, SKIPPED or INFO.</summary>
    public sealed record Check(string Scenario, string Id, string Name, string Status, string? ErrorMessage);

    public sealed record Result(int ExitCode, IReadOnlyList<string> ScenariosRun, IReadOnlyList<Check> Checks, string StandardOutput, string StandardError)
    {
        /// <summary>Every check as one line each, for assertion messages and test output.</summary>
        public string Describe() => string.Join('\n', Checks.Select(c => $"{c.Status} {c.Scenario} / {c.Id}" + (c.ErrorMessage is null ? "" : $": {c.ErrorMessage}")));
    }

    /// <summary>The authorization-server scenarios this version of the suite has (<c>conformance list --authorization</c>).</summary>
    public static async Task<IReadOnlyList<string>> ListAuthorizationScenariosAsync()
    {
        var (exitCode, stdout, stderr) = await RunToEndAsync(["list", "--authorization"]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"conformance list --authorization exited {exitCode}: {stderr}");
        }

        // "  - authorization-code-grant [2025-03-26,...]"
        return stdout.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("- ", StringComparison.Ordinal))
            .Select(l => l[2..].Split(' ')[0])
            .ToArray();
    }

    /// <summary>
    /// Runs every authorization-server scenario against <paramref name="issuer"/> (exactly as its metadata publishes it)
    /// with the public client <paramref name="clientId"/>, whose redirect URI must be <see cref="RedirectUri"/>(<paramref name="port"/>).
    /// </summary>
    public static async Task<Result> RunAuthorizationAsync(
        string issuer, string clientId, int port, Func<Uri, Task<Uri>> signIn, string? resource = null)
    {
        EnsureInstalled();
        var outputDir = Directory.CreateTempSubdirectory("conformance-");
        try
        {
            var arguments = new List<string> { "authorization", "--url", issuer, "--client-id", clientId, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", outputDir.FullName };
            if (resource is not null)
            {
                arguments.AddRange(["--resource", resource]);
            }

            using var process = Start(arguments, redirectStdin: true);
            process.StandardInput.Close();
            var stdout = new StringBuilder();
            var stderrTask = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(RunTimeout);
            try
            {
                var expectUrl = false;
                while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    stdout.AppendLine(line);
                    if (line.StartsWith("Access the following URL in your browser", StringComparison.Ordinal))
                    {
                        expectUrl = true;
                    }
                    else if (expectUrl)
                    {
                        expectUrl = false;
                        var redirect = await signIn(new Uri(line.Trim()));
                        await DeliverCallbackAsync(redirect, port, timeout.Token);
                    }
                }

                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"The conformance suite did not finish in {RunTimeout.TotalSeconds} s. Output so far:\n{stdout}");
            }
            finally
            {
                Stop(process);
            }

            var scenariosRun = stdout.ToString().Split('\n')
                .Select(l => l.Trim())
                .Where(l => l.StartsWith("=== Running scenario: ", StringComparison.Ordinal))
                .Select(l => l["=== Running scenario: ".Length..].TrimEnd('=', ' '))
                .ToArray();
            return new Result(process.ExitCode, scenariosRun, ReadChecks(outputDir.FullName), stdout.ToString(), await stderrTask);
        }
        finally
        {
            try
            {
                outputDir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The redirect URI the suite listens on with <c>-p PORT</c>.</summary>
    public static string RedirectUri(int port) => $"http://127.0.0.1:{port}/callback";

    /// <summary>A loopback port that nothing listens on right now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void EnsureInstalled()
    {
        var node = Path.Combine(NodeBin, "node");
        if (!File.Exists(node) || !File.Exists(Cli))
        {
            var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? " (CI=true: it must be installed)" : "";
            throw new InvalidOperationException(
                $"The conformance suite or its Node 22 is not installed{ci}: expected {Cli} and {node}. Run 'npm ci' in {Folder} (scripts/test.sh does).");
        }
    }

    private static Process Start(IEnumerable<string> arguments, bool redirectStdin)
    {
        var start = new ProcessStartInfo(Path.Combine(NodeBin, "node"))
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = redirectStdin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PATH"] = NodeBin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        start.Environment["NO_COLOR"] = "1";
        start.ArgumentList.Add(Cli);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(IEnumerable<string> arguments)
    {
        EnsureInstalled();
        using var process = Start(arguments, redirectStdin: false);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Stop(process);
            throw new TimeoutException("The conformance suite did not answer in 60 s: " + await stderr);
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Hands the authorization response to the suite's callback server, as the browser's last hop would.</summary>
    private static async Task DeliverCallbackAsync(Uri redirect, int port, CancellationToken ct)
    {
        if (redirect.GetLeftPart(UriPartial.Path) != RedirectUri(port))
        {
            throw new InvalidOperationException($"The server redirected to {redirect}, not to the suite's callback {RedirectUri(port)}.");
        }

        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await http.GetAsync(redirect, ct);
                response.EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException e) when (e.StatusCode is null && attempt < 50)
            {
                await Task.Delay(100, ct);   // the callback server may not listen yet: it starts as the URL is printed
            }
        }
    }

    private static List<Check> ReadChecks(string outputDir)
    {
        var checks = new List<Check>();
        foreach (var file in Directory.EnumerateFiles(outputDir, "checks.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // authorization-server-<scenario>-<ISO timestamp with ':' and '.' as '-'>, or server-<scenario>-<...>
            var folder = Path.GetFileName(Path.GetDirectoryName(file)!);
            var scenario = System.Text.RegularExpressions.Regex.Replace(folder, @"^(authorization-server|server)-|-\d{4}-\d{2}-\d{2}T[\d-]+Z$", "");
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var check in json.RootElement.EnumerateArray())
            {
                checks.Add(new Check(
                    scenario,
                    check.GetProperty("id").GetString()!,
                    check.TryGetProperty("name", out var name) ? name.GetString()! : "",
                    check.GetProperty("status").GetString()!,
                    check.TryGetProperty("errorMessage", out var message) ? message.GetString() : null));
            }
        }

        return checks;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
