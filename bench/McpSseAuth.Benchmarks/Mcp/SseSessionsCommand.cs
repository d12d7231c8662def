namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>How many SSE sessions to hold, where memory is first read, how many open at once, how many rounds.</summary>
internal sealed record SseSessionsSettings(int Sessions, int BaseSessions, int OpenConcurrency, int Rounds, bool MeasureHeap = true);

/// <summary>
/// Many SSE clients: each server in turn, freshly started, holds <see cref="SseSessionsSettings.Sessions"/> authenticated
/// (or, for the baseline, unauthenticated) legacy SSE sessions; memory per session is read from the server process. The
/// servers: the sample, the floor (the same MCP server as the baseline behind the cheapest authentication there is, so
/// what ASP.NET Core's authentication and authorization of a request hold for a stream's life is measured in the same
/// run), and the baseline, last. They alternate (the order flips each round), each run on a fresh process.
/// </summary>
internal static class SseSessionsCommand
{
    public static async Task<IReadOnlyList<SseSessionsResult>> RunAsync(
        SseSessionsSettings settings,
                TextWriter log,
        CancellationToken cancellationToken)
    {
        var results = new List<SseSessionsResult>();
        for (var round = 0; round < settings.Rounds; round++)
        {
            // The baseline stays last in the summary's order: the ratios are to it.
            var kinds = new[] { ServerKind.Sample, ServerKind.Floor, ServerKind.Baseline };
            foreach (var kind in round % 2 == 0 ? kinds : kinds.Reverse())
            {
                var dataFolder = Servers.NewDataFolder();
                try
                {
                    await using var server = kind switch
                    {
                        ServerKind.Sample => await Servers.StartSampleAsync(dataFolder),
                        ServerKind.Floor => await Servers.StartFloorAsync([FloorToken]),
                        _ => await Servers.StartBaselineAsync(),
                    };
                    var token = kind switch
                    {
                        ServerKind.Sample => await SampleTokens.GetAsync(server, cancellationToken),
                        ServerKind.Floor => new Dictionary<McpTransport, string> { [McpTransport.Sse] = FloorToken, [McpTransport.StreamableHttp] = FloorToken },
                        _ => null,
                    };
                    var result = await SseSessionsBenchmark.RunAsync(
                        new McpEndpoint(server.Name, server.BaseAddress, token),
                        server,
                        settings.BaseSessions,
                        settings.Sessions,
                        settings.OpenConcurrency,
                        settings.MeasureHeap,
                        log,
                        cancellationToken);
                    log.WriteLine($"  round {round + 1} {result.Server,-20} {result.Sessions} sessions, {result.BytesPerSession / 1024:F1} KiB resident and {result.HeapBytesPerSession / 1024:F1} KiB live heap per session, errors {result.Errors}");
                    if (result.Errors > 0)
                    {
                        throw new InvalidOperationException($"{result.Server}: {result.Errors} sessions failed to open. First error: {result.FirstError}\nServer output:\n{server.Output}");
                    }

                    results.Add(result);
                }
                finally
                {
                    Directory.Delete(dataFolder, recursive: true);
                }
            }
        }

        return results;
    }

    // What the floor's constant-token scheme accepts: any fixed string will do.
    private const string FloorToken = "floor-token-of-the-sessions-benchmark";

    private enum ServerKind
    {
        Sample,
        Floor,
        Baseline,
    }
}
