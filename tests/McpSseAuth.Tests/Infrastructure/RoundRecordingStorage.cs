using System.Diagnostics;
using McpSseAuth.Storage;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// A storage that, while <see cref="Recording"/>, holds every call until no new one has arrived for <see cref="Quiet"/>, then
/// answers all it holds at once and notes them as one round: calls a request starts together (without awaiting in between)
/// land in one round, calls it awaits one after the other in successive rounds. For one flow at a time: what it shows is
/// which storage calls of a request wait for each other.
/// </summary>
internal sealed class RoundRecordingStorage(IMcpOAuthStorage inner) : IMcpOAuthStorage
{
    /// <summary>Far longer than a request takes between two calls it starts together, far shorter than a test may take.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly List<string[]> _rounds = [];
    private List<(string Call, TaskCompletionSource Answer)> _held = [];
    private long _lastArrival;

    public bool Recording { get; set; }

    /// <summary>Each round's calls, as "Operation kind" (the kind is the key up to its first ':').</summary>
    public IReadOnlyList<string[]> Rounds
    {
        get
        {
            lock (_gate)
            {
                return [.. _rounds];
            }
        }
    }

    public override string ToString() => string.Join("\n", Rounds.Select((r, i) => $"{i + 1}: {string.Join(", ", r)}"));

    public async ValueTask<McpStoredEntry?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await HoldAsync("Get", key);
        return await inner.GetAsync(key, cancellationToken);
    }

    public async ValueTask<bool> TryAddAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        await HoldAsync("Add", key);
        return await inner.TryAddAsync(key, value, expiresAt, partition, cancellationToken);
    }

    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, string? partition, CancellationToken cancellationToken)
    {
        await HoldAsync("Set", key);
        await inner.SetAsync(key, value, expiresAt, partition, cancellationToken);
    }

    public async ValueTask<bool> TryReplaceAsync(string key, ReadOnlyMemory<byte> expected, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await HoldAsync("Replace", key);
        return await inner.TryReplaceAsync(key, expected, value, expiresAt, cancellationToken);
    }

    public async ValueTask<McpTakeResult> TryTakeAsync(string key, ReadOnlyMemory<byte> remainder, DateTimeOffset keepUntil, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await HoldAsync("Take", key);
        return await inner.TryTakeAsync(key, remainder, keepUntil, now, cancellationToken);
    }

    public async ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        await HoldAsync("Remove", key);
        return await inner.RemoveAsync(key, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<KeyValuePair<string, McpStoredEntry>>> ListAsync(string partition, CancellationToken cancellationToken)
    {
        await HoldAsync("List", partition);
        return await inner.ListAsync(partition, cancellationToken);
    }

    public async ValueTask<long> CountAsync(string partition, CancellationToken cancellationToken)
    {
        await HoldAsync("Count", partition);
        return await inner.CountAsync(partition, cancellationToken);
    }

    private Task HoldAsync(string operation, string key)
    {
        if (!Recording)
        {
            return Task.CompletedTask;
        }

        var colon = key.IndexOf(':', StringComparison.Ordinal);
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool first;
        lock (_gate)
        {
            first = _held.Count == 0;
            _held.Add((operation + " " + (colon < 0 ? key : key[..colon]), answer));
            _lastArrival = Stopwatch.GetTimestamp();
        }

        if (first)
        {
            _ = AnswerWhenQuietAsync();
        }

        return answer.Task;
    }

    private async Task AnswerWhenQuietAsync()
    {
        while (true)
        {
            await Task.Delay(Quiet / 4);
            List<(string Call, TaskCompletionSource Answer)> round;
            lock (_gate)
            {
                if (Stopwatch.GetElapsedTime(_lastArrival) < Quiet)
                {
                    continue;
                }

                round = _held;
                _held = [];
                _rounds.Add([.. round.Select(h => h.Call)]);
            }

            foreach (var (_, answer) in round)
            {
                answer.SetResult();
            }

            return;
        }
    }
}
