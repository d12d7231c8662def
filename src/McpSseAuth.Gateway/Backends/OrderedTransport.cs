using System.Threading.Channels;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Gateway.Backends;

/// <summary>
/// The SDK client transport to a server, with every incoming message shown to <paramref name="observe"/> in the order the
/// server sent it, before the SDK sees it. The SDK handles incoming messages concurrently; the relay needs their order in
/// one place: a progress notification the server sent before its result must reach the client before the result.
/// </summary>
internal sealed class OrderedTransport(IClientTransport inner, Action<JsonRpcMessage> observe) : IClientTransport
{
    public string Name => inner.Name;

    public async Task<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
        => new Connection(await inner.ConnectAsync(cancellationToken), observe);

    private sealed class Connection : ITransport
    {
        private readonly ITransport _inner;
        private readonly Channel<JsonRpcMessage> _messages = Channel.CreateUnbounded<JsonRpcMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly Task _pump;

        public Connection(ITransport inner, Action<JsonRpcMessage> observe)
        {
            _inner = inner;
            _pump = PumpAsync(observe);
        }

        public string? SessionId => _inner.SessionId;

        public ChannelReader<JsonRpcMessage> MessageReader => _messages.Reader;

        public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) => _inner.SendMessageAsync(message, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync();
            await _pump;
        }

        private async Task PumpAsync(Action<JsonRpcMessage> observe)
        {
            try
            {
                await foreach (var message in _inner.MessageReader.ReadAllAsync())
                {
                    observe(message);
                    await _messages.Writer.WriteAsync(message);
                }

                _messages.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                _messages.Writer.TryComplete(ex);
            }
        }
    }
}
