using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Sessions;

/// <summary>The holder's side of <see cref="StreamableRelay"/>: a relayed request run as the session's own.</summary>
internal sealed partial class StreamableRelay
{
    /// <summary>The handler of <paramref name="method"/> <paramref name="path"/> on a Streamable HTTP endpoint: the SDK's, behind the guards.</summary>
    public void AddHandler(string method, PathString path, RequestDelegate handler) => _handlers[HandlerKey(method, path.Value)] = handler;

    private static string HandlerKey(string method, string? path) => method + " " + (path ?? "").TrimEnd('/');

    /// <summary>Runs a relayed request as the local session's own, streaming its response back to the sender.</summary>
    private async Task ServeAsync(StreamFrame request)
    {
        if (request.ReplyTo is not { } replyTo)
        {
            return;
        }

        using var aborted = new CancellationTokenSource();
        _serving[request.Id] = aborted;
        await using var scope = services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        await using var sink = new RelayResponseStream(request.Id, context.Response, frame => PublishAsync(replyTo, frame, CancellationToken.None).AsTask(), time);
        using var pings = CancellationTokenSource.CreateLinkedTokenSource(aborted.Token);
        var pinging = sink.PingWhileServingAsync(pings.Token);
        context.Response.Body = sink;
        try
        {
            if (request.SessionId is not { } sessionId || registry.Find(sessionId) is not { } entry
                || !_handlers.TryGetValue(HandlerKey(request.Method ?? "", request.Path), out var handler))
            {
                await WriteNotFoundAsync(context, NotHeld);
            }
            else
            {
                context.User = RelayedUser.Of(entry.User, request.Scope);
                var body = request.Body ?? [];
                context.Request.Method = request.Method!;
                context.Request.Path = request.Path;
                foreach (var (name, values) in request.Headers ?? [])
                {
                    context.Request.Headers[name] = values;
                }

                context.Request.ContentLength = body.Length;
                context.Request.Body = new MemoryStream(body, writable: false);
                context.RequestAborted = aborted.Token;
                await handler(context);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!aborted.IsCancellationRequested)
            {
                Log.StreamableRelayFailed(logger, request.SessionId ?? "", e);
            }
        }
        finally
        {
            await pings.CancelAsync();
            await pinging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!aborted.IsCancellationRequested)
            {
                await CompleteQuietlyAsync(sink, request.SessionId);
            }

            _serving.TryRemove(request.Id, out _);
        }
    }

    private async Task CompleteQuietlyAsync(RelayResponseStream sink, string? sessionId)
    {
        try
        {
            await sink.CompleteAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.StreamableRelayFailed(logger, sessionId ?? "", e);
        }
    }
}
