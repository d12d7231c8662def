using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace McpSseAuth.Sessions;

/// <summary>
/// Wraps the SDK's session run (its <c>RunSessionHandler</c>, once per stateful session) to register each session in
/// <see cref="McpSessionRegistry"/> and run it on a token the registry can cancel. Stateless requests (2026-07-28 clients)
/// have no session and pass through untracked.
/// </summary>
internal sealed class SessionTracking(McpSessionRegistry registry, Grants.IGrantRevocations revocations, SessionDirectory directory, SessionSeats seats, IOptions<McpOAuthOptions> options) : IPostConfigureOptions<HttpServerTransportOptions>
{
    public void PostConfigure(string? name, HttpServerTransportOptions transport)
    {
#pragma warning disable MCPEXP002 // The SDK's only hook around a session's whole life; contained here.
        var previous = transport.RunSessionHandler;
        transport.RunSessionHandler = async (context, server, sessionEnded) =>
        {
            if (server.SessionId is not { } sessionId)
            {
                await (previous?.Invoke(context, server, sessionEnded) ?? server.RunAsync(sessionEnded));
                return;
            }

            // The SSE stream is the GET; a Streamable session starts with the POST of initialize.
            var kind = HttpMethods.IsGet(context.Request.Method) ? McpSessionTransport.Sse : McpSessionTransport.StreamableHttp;
            var entry = registry.Add(sessionId, kind, context.User, sessionEnded, registry.TakeHeld(context));
            var events = options.Value.Events;
            try
            {
                await events.SessionStarted(new McpSessionEventContext(entry.Info));
                // Listed for the other instances, whose POST /message for it are handed here.
                await directory.ListAsync(entry, sessionEnded);
                // A revocation between the token check and the line above found nothing to end: look once more now that
                // the session is listed (the revocation is recorded before it is signalled).
                if (entry.Info.GrantId is { } grantId && await revocations.IsRevokedAsync(grantId, sessionEnded))
                {
                    registry.EndRevoked(entry);
                }

                await (previous?.Invoke(context, server, entry.End.Token) ?? server.RunAsync(entry.End.Token));
            }
            catch (OperationCanceledException) when (entry.End.IsCancellationRequested && !sessionEnded.IsCancellationRequested)
            {
                // Ended by the registry (a revoked grant, IMcpSessions.End): a normal end, not an error.
            }
            finally
            {
                registry.Remove(entry);
                await directory.UnlistAsync(entry);
                await seats.GiveBackAsync(entry.Seat);
                entry.MarkGone();
                await events.SessionEnded(new McpSessionEventContext(entry.Info, entry.EndReason ?? McpSessionEndReason.Closed));
            }
        };
#pragma warning restore MCPEXP002
    }
}
