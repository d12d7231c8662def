using System.Collections.Concurrent;
using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// Tools that show what crosses a relay: progress on the call's stream, a cancellation, a request from the server to the
/// client (elicitation) answered on another instance. Each call names a run of its own, so tests running
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

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> CancelledRuns = new(StringComparer.Ordinal);

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> StartedRuns = new(StringComparer.Ordinal);

    /// <summary>Completes when a call of <paramref name="run"/> to wait_for_cancel has started.</summary>
    public static Task StartedAsync(string run) => StartedRuns.GetOrAdd(run, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Completes when the call of <paramref name="run"/> sees its cancellation.</summary>
    public static Task CancelledAsync(string run) => CancelledRuns.GetOrAdd(run, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    [McpServerTool(Name = "wait_for_cancel"), Description("Reports that it started, then waits until the call is cancelled.")]
    public static async Task<string> WaitForCancel(IProgress<ProgressNotificationValue> progress, string run, CancellationToken cancellationToken)
    {
        Runs.AddOrUpdate(run, 1, (_, runs) => runs + 1);
        StartedRuns.GetOrAdd(run, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        progress.Report(new ProgressNotificationValue { Progress = 0, Message = "started" });
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            CancelledRuns.GetOrAdd(run, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            throw;
        }

        return "never";
    }

    [McpServerTool(Name = "ask_name"), Description("Asks the user for a name (elicitation) and greets it.")]
    public static async Task<string> AskName(McpServer server, string run, CancellationToken cancellationToken)
    {
        Runs.AddOrUpdate(run, 1, (_, runs) => runs + 1);
        var answer = await server.ElicitAsync(
            new ElicitRequestParams
            {
                Message = "Your name?",
                RequestedSchema = new ElicitRequestParams.RequestSchema { Properties = { ["name"] = new ElicitRequestParams.StringSchema() } },
            },
            cancellationToken);
        return answer.IsAccepted && answer.Content?.TryGetValue("name", out var name) == true ? "hello " + name.GetString() : "declined";
    }
}
