using System.Text.Json.Nodes;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// Where a progress token of the gateway's leads back: the request that asked, its own token, its timeout. Its
/// notifications are sent one after another, and all of them before the result (<see cref="Drained"/>): the SDK
/// handles incoming messages concurrently, and a client drops progress that arrives after its result.
/// </summary>
internal sealed class ProgressRoute(McpServer replyTo, JsonNode clientToken, Action resetTimeout)
{
    private readonly Lock _gate = new();
    private Task _last = Task.CompletedTask;

    public McpServer ReplyTo { get; } = replyTo;

    public JsonNode ClientToken { get; } = clientToken;

    public Action ResetTimeout { get; } = resetTimeout;

    public Task Drained
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    public Task Enqueue(Func<Task> send)
    {
        lock (_gate)
        {
            return _last = _last.ContinueWith(_ => send(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }
}
