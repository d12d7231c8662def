using McpSseAuth.Gateway.Relay;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace McpSseAuth.Gateway.Hosting;

/// <summary>
/// Makes the SDK's MCP server of a gateway endpoint a relay: when a session (or a stateless request) starts on an
/// endpoint marked <see cref="GatewayEndpoint"/>, its handlers become those of the server behind it
/// (<see cref="BackendRelay"/>) or of the aggregate (<see cref="AggregateRelay"/>); when it ends, its connections are let go.
/// The host's own MCP endpoints are left as they are.
/// </summary>
internal sealed class GatewaySessionSetup(BackendRelay backends, AggregateRelay aggregate, SessionEnds ends, IOptions<McpOAuthOptions> oauth) : IPostConfigureOptions<HttpServerTransportOptions>
{
    private static readonly object SessionKey = new();

    public void PostConfigure(string? name, HttpServerTransportOptions transport)
    {
        var configure = transport.ConfigureSessionOptions;
        transport.ConfigureSessionOptions = async (context, options, cancellationToken) =>
        {
            if (configure is not null)
            {
                await configure(context, options, cancellationToken);
            }

            if (context.GetEndpoint()?.Metadata.GetMetadata<GatewayEndpoint>() is not { } endpoint)
            {
                return;
            }

            // Every request here passed the bearer check, and every token of McpSseAuth names its subject.
            var subject = context.User.FindFirst("sub")?.Value ?? throw new InvalidOperationException("A gateway session without a subject.");
            var tokensPage = oauth.Value.ServiceTokens.Count > 0 ? context.GetMcpOAuthUri(oauth.Value.Paths.ServiceTokens) : null;
            var session = new FrontSession(context.User, subject, tokensPage);
            context.Items[SessionKey] = session;
            if (endpoint.Backend is { } backend)
            {
                backends.Configure(options, session, backend);
            }
            else
            {
                aggregate.Configure(options, session);
            }
        };

#pragma warning disable MCPEXP002 // The SDK's only hook around a session's whole life, as McpSseAuth's session tracking uses it.
        var run = transport.RunSessionHandler;
        transport.RunSessionHandler = async (context, server, cancellationToken) =>
        {
            if (!context.Items.TryGetValue(SessionKey, out var value) || value is not FrontSession session)
            {
                await (run?.Invoke(context, server, cancellationToken) ?? server.RunAsync(cancellationToken));
                return;
            }

            session.Bind(server);
            try
            {
                await (run?.Invoke(context, server, cancellationToken) ?? server.RunAsync(cancellationToken));
            }
            finally
            {
                await session.EndAsync(stopUnused: ends.TakeAccessEnded(server.SessionId));
            }
        };
#pragma warning restore MCPEXP002
    }
}
