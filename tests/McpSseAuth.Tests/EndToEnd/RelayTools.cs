using System.Collections.Concurrent;
using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// Tools that show what crosses a relay: progress on the call's stream. Each call names a run of its own, so tests running
/// at once on one process tell their calls apart and count their runs.
/// </summary>
[McpServerToolType]
public sealed class RelayTools
{
    private static readonly ConcurrentDictionary<string, int> Runs = new(StringComparer.Ordinal);

    /// <summary>How many times a call of <paramref name="run"/> ran, on any instance of this process.</summary>
    public static int RunsOf(string run) => Runs.GetValueOrDefault(run);

    [McpServerTool(Name = "count_to"), Description("Reports progress n times, then says how far it counted.")]
    public static async Task<string> CountTo(IProgress<ProgressNotificationValue> progress, string run, int n)
    {
        Runs.AddOrUpdate(run, 1, (_, runs) => runs + 1);
        for (var i = 1; i <= n; i++)
        {
            progress.Report(new ProgressNotificationValue { Progress = i, Total = n, Message = "step " + i });
            await Task.Yield();
        }

        return "counted " + n;
    }
}
