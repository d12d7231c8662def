using System.Globalization;
using System.Text;
using McpSseAuth.Benchmarks.AuthServers;
using McpSseAuth.Benchmarks.Mcp;

namespace McpSseAuth.Benchmarks.Gateway;

/// <summary>
/// The gateway's relay overhead: <c>tools/call</c> of server-everything's <c>echo</c> over Streamable HTTP, straight to the
/// remote server and through the gateway (a real access token, its own resource); and over stdio through supergateway
/// (no authentication) and through the gateway, a process per session in both. All run side by side for the whole
/// measure and alternate (the order flips each round), so the ratios come from one run on one machine.
/// </summary>
internal static class GatewayRelayCommand
{
    public static async Task<IReadOnlyList<McpLoadResult>> RunAsync(AlternatedRunSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var dataFolder = Servers.NewDataFolder();
        try
        {
            await using var remote = await GatewayServers.StartRemoteAsync();
            await using var supergateway = await GatewayServers.StartSupergatewayAsync();
            await using var gateway = await GatewayServers.StartGatewayAsync(remote, dataFolder);
            var targets = new[]
            {
                (Server: remote, Endpoint: new McpEndpoint(Direct, remote.BaseAddress, null)),
                (Server: gateway, Endpoint: new McpEndpoint(ThroughToRemote, gateway.BaseAddress, await TokensAsync(gateway, "/remote/mcp", cancellationToken), "/remote/mcp")),
                (Server: supergateway, Endpoint: new McpEndpoint(Supergateway, supergateway.BaseAddress, null)),
                (Server: gateway, Endpoint: new McpEndpoint(ThroughToStdio, gateway.BaseAddress, await TokensAsync(gateway, "/stdio/mcp", cancellationToken), "/stdio/mcp")),
            };

            log.WriteLine("Warming up every path...");
            foreach (var (server, endpoint) in targets)
            {
                (await McpLoadBenchmark.RunAsync(endpoint, server, McpTransport.StreamableHttp, 4, TimeSpan.Zero, settings.Warmup + settings.Warmup, cancellationToken)).EnsureNoErrors(server);
            }

            var results = new List<McpLoadResult>();
            for (var round = 0; round < settings.Rounds; round++)
            {
                foreach (var concurrency in settings.Concurrencies)
                {
                    foreach (var (server, endpoint) in round % 2 == 0 ? targets : targets.Reverse().ToArray())
                    {
                        var result = await McpLoadBenchmark.RunAsync(endpoint, server, McpTransport.StreamableHttp, concurrency, settings.Warmup, settings.Duration, cancellationToken);
                        log.WriteLine($"  round {round + 1} c{concurrency,-3} {result.Server,-34} {result.CallsPerSecond,8:F0} calls/s  p50 {result.P50Ms,6:F2} ms  p99 {result.P99Ms,6:F2} ms  errors {result.Errors}");
                        result.EnsureNoErrors(server);
                        results.Add(result);
                    }
                }
            }

            return results;
        }
        finally
        {
            Directory.Delete(dataFolder, recursive: true);
        }
    }

    public const string Direct = "server-everything, direct";
    public const string ThroughToRemote = "through the gateway (remote)";
    public const string Supergateway = "supergateway (stdio)";
    public const string ThroughToStdio = "through the gateway (stdio)";

    /// <summary>The results as a table, and the ratios the goal is stated in (medians over rounds).</summary>
    public static string ToMarkdown(IReadOnlyList<McpLoadResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| concurrency | path | calls/s | p50 ms | p99 ms |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var group in results.GroupBy(r => (r.Concurrency, r.Server)).OrderBy(g => g.Key.Concurrency))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key.Concurrency} | {group.Key.Server} | {Medians.Of(group, r => r.CallsPerSecond):F0} | {Medians.Of(group, r => r.P50Ms):F2} | {Medians.Of(group, r => r.P99Ms):F2} |");
        }

        text.AppendLine();
        foreach (var concurrency in results.Select(r => r.Concurrency).Distinct().Order())
        {
            double Rate(string server) => Medians.Of(results.Where(r => r.Concurrency == concurrency && r.Server == server), r => r.CallsPerSecond);
            text.AppendLine(CultureInfo.InvariantCulture, $"- c{concurrency}: through the gateway / direct (remote Streamable HTTP) = **{Rate(ThroughToRemote) / Rate(Direct):F2}** (goal ≥ 0.8); through the gateway / supergateway (stdio) = **{Rate(ThroughToStdio) / Rate(Supergateway):F2}**");
        }

        return text.ToString();
    }


    /// <summary>An access token for one of the gateway's servers, by the flow a client runs (register, sign in as alice, consent, PKCE).</summary>
    private static async Task<IReadOnlyDictionary<McpTransport, string>> TokensAsync(ServerProcess gateway, string resourcePath, CancellationToken cancellationToken)
    {
        var endpoints = new AuthServerEndpoints(gateway.BaseAddress, "/oauth/register", "/oauth/authorize", "/oauth/token", "username", "password", IssuesRefreshTokens: true, resourcePath);
        using var user = await BrowserUser.SignInAsync(endpoints, cancellationToken);
        var token = (await user.RunFlowAsync(cancellationToken)).AccessToken;
        return new Dictionary<McpTransport, string> { [McpTransport.StreamableHttp] = token, [McpTransport.Sse] = token };
    }
}
