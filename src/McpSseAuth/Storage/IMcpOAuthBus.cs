namespace McpSseAuth.Storage;

/// <summary>
/// Messages between the instances of a server that share one <see cref="IMcpOAuthStorage"/>: a revoked grant ends its
/// sessions on every instance, and a legacy SSE <c>POST /message</c> that reaches an instance other than the one holding
/// the stream is handed to that one. Delivery is at most once, to every subscriber of the channel, the sender's own
/// included. The default delivers within the process; <c>McpSseAuth.Redis</c> uses Redis pub/sub.
/// </summary>
public interface IMcpOAuthBus
{
    /// <summary>Names this instance, unique among the instances sharing the bus.</summary>
    string InstanceId { get; }

    /// <summary>Sends <paramref name="message"/> to every subscriber of <paramref name="channel"/>.</summary>
    ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="handler"/> for each message on <paramref name="channel"/> until the result is disposed. A
    /// handler that throws loses that message only.
    /// </summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler, CancellationToken cancellationToken);
}
