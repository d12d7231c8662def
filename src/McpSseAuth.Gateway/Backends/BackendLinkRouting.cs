using System.Text.Json.Nodes;
using McpSseAuth.Gateway.Relay;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// What the server sends the gateway unasked, routed to the client sessions it concerns: progress to the request whose
/// token it names (<see cref="Observe"/>); a resource update to the sessions subscribed to it; list changes and log messages to every session on
/// the link. The server's own requests — sampling, elicitation, roots — go to the session of the request being handled
/// (the latest, when several are), else to the session used last, and only to one whose client declared the capability.
/// </summary>
internal sealed partial class BackendLink
{
    private static readonly string[] ToSessions =
    [
        NotificationMethods.ToolListChangedNotification,
        NotificationMethods.PromptListChangedNotification,
        NotificationMethods.ResourceListChangedNotification,
        NotificationMethods.LoggingMessageNotification,
        NotificationMethods.ElicitationCompleteNotification,
    ];

    private KeyValuePair<string, Func<JsonRpcNotification, CancellationToken, ValueTask>>[] NotificationHandlers()
        => [
            new(NotificationMethods.ResourceUpdatedNotification, OnResourceUpdatedAsync),
            .. ToSessions.Select(method => new KeyValuePair<string, Func<JsonRpcNotification, CancellationToken, ValueTask>>(method, (n, ct) => ToSessionsAsync(n, _ => true, ct))),
        ];

    /// <summary>
    /// Every message from the server, in the order it sent them (<see cref="OrderedTransport"/>): progress is queued for its
    /// request here, so it is on its way before the SDK hands over the result that followed it.
    /// </summary>
    private void Observe(JsonRpcMessage message)
    {
        if (message is not JsonRpcNotification { Method: NotificationMethods.ProgressNotification, Params: JsonObject parameters } ||
            parameters["progressToken"]?.GetValueKind() != System.Text.Json.JsonValueKind.String ||
            !_progress.TryGetValue(parameters["progressToken"]!.GetValue<string>(), out var route))
        {
            return;   // not progress, or a token that is not ours, or of a request already answered
        }

        route.ResetTimeout();
        var forwarded = (JsonObject)parameters.DeepClone();
        forwarded["progressToken"] = route.ClientToken.DeepClone();
        _ = route.Enqueue(() => SendQuietlyAsync(route.ReplyTo, new JsonRpcNotification { Method = NotificationMethods.ProgressNotification, Params = forwarded }, CancellationToken.None).AsTask());
    }

    private ValueTask OnResourceUpdatedAsync(JsonRpcNotification notification, CancellationToken cancellationToken)
    {
        var uri = notification.Params?["uri"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? notification.Params["uri"]!.GetValue<string>() : null;
        return uri is null ? ValueTask.CompletedTask : ToSessionsAsync(notification, s => s.IsSubscribed(uri), cancellationToken);
    }

    private async ValueTask ToSessionsAsync(JsonRpcNotification notification, Func<FrontSession, bool> concerned, CancellationToken cancellationToken)
    {
        foreach (var session in _sessions.Keys.Where(s => !s.Ended && !s.Stateless && concerned(s)))
        {
            if (session.Server is { } server)
            {
                await SendQuietlyAsync(server, new JsonRpcNotification { Method = notification.Method, Params = notification.Params?.DeepClone() }, cancellationToken);
            }
        }
    }

    private static async ValueTask SendQuietlyAsync(McpServer server, JsonRpcMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await server.SendMessageAsync(message, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The client's session ended meanwhile: nobody left to tell.
        }
    }

    private async ValueTask<CreateMessageResult> SampleAsync(CreateMessageRequestParams? parameters, IProgress<ProgressNotificationValue> progress, CancellationToken cancellationToken)
        => await (ReplyTarget(c => c.Sampling is not null) ?? throw NoClientFor("sampling")).SampleAsync(parameters!, cancellationToken);

    private async ValueTask<ElicitResult> ElicitAsync(ElicitRequestParams? parameters, CancellationToken cancellationToken)
    {
        var url = string.Equals(parameters?.Mode, "url", StringComparison.Ordinal);
        var target = ReplyTarget(c => c.Elicitation is { } e && (url ? e.Url is not null : e.Form is not null || e.Url is null));
        return await (target ?? throw NoClientFor(url ? "URL elicitation" : "elicitation")).ElicitAsync(parameters!, cancellationToken);
    }

    private async ValueTask<ListRootsResult> ListRootsAsync(ListRootsRequestParams? parameters, CancellationToken cancellationToken)
        => ReplyTarget(c => c.Roots is not null) is { } target
            ? await target.RequestRootsAsync(parameters ?? new ListRootsRequestParams(), cancellationToken)
            : new ListRootsResult { Roots = [] };   // no client to ask now: no roots rather than an error

    /// <summary>The session that should answer the server's request: that of the latest request in flight, else the one used last.</summary>
    private McpServer? ReplyTarget(Func<ClientCapabilities, bool> can)
    {
        lock (_gate)
        {
            for (var node = _inFlight.Last; node is not null; node = node.Previous)
            {
                if (!node.Value.Session.Ended && node.Value.ReplyTo.ClientCapabilities is { } capabilities && can(capabilities))
                {
                    return node.Value.ReplyTo;
                }
            }
        }

        return _sessions.Keys
            .Where(s => !s.Ended && !s.Stateless && s.Capabilities is { } c && can(c))
            .OrderByDescending(s => s.LastUsed)
            .FirstOrDefault()?.Server;
    }

    private McpProtocolException NoClientFor(string what)
        => new($"No client connected to '{Backend.Name}' through the gateway can answer {what} now.", McpErrorCode.MethodNotFound);
}
