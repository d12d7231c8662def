namespace McpSseAuth.Benchmarks.Mcp;

/// <summary>Memory of one server holding many open legacy SSE sessions.</summary>
internal sealed record SseSessionsResult(
    string Server,
    int Sessions,
    long Errors,
    long ResidentBytesAtBase,
    long ResidentBytesAtTarget,
    int BaseSessions,
    double BytesPerSession,
    long? HeapBytesAtBase,
    long? HeapBytesAtTarget,
    double? HeapBytesPerSession,
    string? FirstError);

/// <summary>
/// Opens <c>target</c> legacy SSE sessions against one server and keeps them open: each opens <c>GET /sse</c>, initializes,
/// and calls the echo tool once, as a client that connected and used its session would. The server's resident memory is
/// read (after a full collection) at <c>baseSessions</c> and at <c>target</c>; memory per session is the difference over
/// the sessions in between, which leaves out what the first sessions warm up once (JIT, pools). With
/// <c>measureHeap</c>, the live managed heap is read too (dotnet-gcdump): it counts only the objects the sessions hold,
/// where resident memory also counts what the garbage collector keeps committed.
/// </summary>
internal static class SseSessionsBenchmark
{
    public static async Task<SseSessionsResult> RunAsync(
        McpEndpoint endpoint,
        ServerProcess server,
        int baseSessions,
        int target,
        int openConcurrency,
        bool measureHeap,
        TextWriter log,
        CancellationToken cancellationToken)
    {
        using var http = McpEndpoint.CreateHttpClient();
        var sessions = new List<IMcpLoadSession>(target);
        long errors = 0;
        string? firstError = null;

        async Task OpenAsync(int count)
        {
            using var gate = new SemaphoreSlim(openConcurrency);
            var opened = new List<IMcpLoadSession>[count];
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken);
                var session = IMcpLoadSession.Create(McpTransport.Sse, endpoint, http);
                try
                {
                    await session.ConnectAsync(cancellationToken);
                    await session.CallAsync(cancellationToken);
                    lock (sessions)
                    {
                        sessions.Add(session);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                    await session.DisposeAsync();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        async Task<long> SettledResidentBytesAsync()
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            await server.CollectGarbageAsync();
            var readings = new List<long>();
            for (var i = 0; i < 3; i++)
            {
                readings.Add(server.ResidentBytes);
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }

            readings.Sort();
            return readings[1];
        }

        try
        {
            await OpenAsync(baseSessions);
            var atBase = await SettledResidentBytesAsync();
            long? heapAtBase = measureHeap ? await server.LiveHeapBytesAsync() : null;
            var baseOpen = sessions.Count;
            log.WriteLine($"  {endpoint.Name}: {baseOpen} sessions open, {atBase / 1048576.0:F1} MiB resident, {heapAtBase / 1048576.0:F1} MiB live heap");
            await OpenAsync(target - baseSessions);
            var atTarget = await SettledResidentBytesAsync();
            long? heapAtTarget = measureHeap ? await server.LiveHeapBytesAsync() : null;
            var open = sessions.Count;
            log.WriteLine($"  {endpoint.Name}: {open} sessions open, {atTarget / 1048576.0:F1} MiB resident, {heapAtTarget / 1048576.0:F1} MiB live heap");
            var added = open - baseOpen;
            return new SseSessionsResult(
                endpoint.Name,
                open,
                errors,
                atBase,
                atTarget,
                baseOpen,
                added > 0 ? (atTarget - atBase) / (double)added : double.NaN,
                heapAtBase,
                heapAtTarget,
                added > 0 && heapAtTarget is { } h && heapAtBase is { } b ? (h - b) / (double)added : null,
                firstError);
        }
        finally
        {
            await Task.WhenAll(sessions.Select(s => s.DisposeAsync().AsTask()));
        }
    }
}
