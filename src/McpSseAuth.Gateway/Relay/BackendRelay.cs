using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using McpSseAuth.Gateway.Backends;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Relay;

/// <summary>
/// The MCP server of one backend's own endpoint, per client session: every request relayed to the user's connection to
/// that server (<see cref="BackendLinks"/>), the tool filter applied to lists and calls, subscriptions remembered so
/// updates reach the sessions that asked, and failures turned into answers a user can act on (<see cref="RelayFailures"/>).
/// </summary>
internal sealed class BackendRelay(BackendLinks links, ILogger<BackendRelay> logger)
{
    /// <summary>What a session of the gateway offers, whatever the server behind it turns out to have.</summary>
    public static ServerCapabilities Capabilities() => new()
    {
        Tools = new ToolsCapability { ListChanged = true },
        Prompts = new PromptsCapability { ListChanged = true },
        Resources = new ResourcesCapability { Subscribe = true, ListChanged = true },
        Logging = new LoggingCapability(),
        Completions = new CompletionsCapability(),
    };

    public void Configure(McpServerOptions options, FrontSession session, BackendRoute backend)
    {
        options.ServerInfo = new Implementation { Name = backend.Name, Version = typeof(BackendRelay).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" };
        options.Capabilities = Capabilities();
        // The host's own tools, prompts and resources belong to its own endpoints, not to a server behind the gateway.
        options.ToolCollection = null;
        options.PromptCollection = null;
        options.ResourceCollection = null;

        var handlers = options.Handlers;
        handlers.ListToolsHandler = async (request, ct) =>
        {
            var result = await ForwardAsync<ListToolsRequestParams, ListToolsResult>(session, backend, request, ct);
            result.Tools = [.. result.Tools.Where(t => backend.Offers(t.Name))];
            return result;
        };
        handlers.CallToolHandler = async (request, ct) =>
        {
            if (request.Params?.Name is not { } name || !backend.Offers(name))
            {
                throw new McpProtocolException($"Unknown tool: '{request.Params?.Name}'.", McpErrorCode.InvalidParams);
            }

            try
            {
                return await ForwardAsync<CallToolRequestParams, CallToolResult>(session, backend, request, ct);
            }
            catch (Exception ex) when (RelayFailures.AsToolResult(ex, session, request.Server) is { } result)
            {
                return result;
            }
            catch (Exception ex) when (RelayFailures.AsProtocolError(ex, session, request.Server) is { } error)
            {
                throw error;
            }
        };
        handlers.ListPromptsHandler = (request, ct) => ForwardAsync<ListPromptsRequestParams, ListPromptsResult>(session, backend, request, ct);
        handlers.GetPromptHandler = (request, ct) => ForwardAsync<GetPromptRequestParams, GetPromptResult>(session, backend, request, ct);
        handlers.ListResourcesHandler = (request, ct) => ForwardAsync<ListResourcesRequestParams, ListResourcesResult>(session, backend, request, ct);
        handlers.ListResourceTemplatesHandler = (request, ct) => ForwardAsync<ListResourceTemplatesRequestParams, ListResourceTemplatesResult>(session, backend, request, ct);
        handlers.ReadResourceHandler = (request, ct) => ForwardAsync<ReadResourceRequestParams, ReadResourceResult>(session, backend, request, ct);
        handlers.CompleteHandler = (request, ct) => ForwardAsync<CompleteRequestParams, CompleteResult>(session, backend, request, ct);
        handlers.SetLoggingLevelHandler = (request, ct) => ForwardAsync<SetLevelRequestParams, EmptyResult>(session, backend, request, ct);
        handlers.SubscribeToResourcesHandler = async (request, ct) =>
        {
            var result = await ForwardAsync<SubscribeRequestParams, EmptyResult>(session, backend, request, ct);
            session.Subscribe(request.Params!.Uri);
            return result;
        };
        handlers.UnsubscribeFromResourcesHandler = async (request, ct) =>
        {
            session.Unsubscribe(request.Params!.Uri);
            return await ForwardAsync<UnsubscribeRequestParams, EmptyResult>(session, backend, request, ct);
        };
        handlers.NotificationHandlers = [.. handlers.NotificationHandlers ?? [], RootsChanged(session)];
    }

    /// <summary>The client's roots changed: every server connection of the session hears it.</summary>
    public static KeyValuePair<string, Func<JsonRpcNotification, CancellationToken, ValueTask>> RootsChanged(FrontSession session)
        => new(NotificationMethods.RootsListChangedNotification, async (notification, ct) =>
        {
            foreach (var link in session.Links)
            {
                await link.NotifyAsync(notification.Method, notification.Params, ct);
            }
        });

    /// <summary>Sends the client's request to the server as it came (bar its progress token) and reads the result.</summary>
    public async ValueTask<TResult> ForwardAsync<TParams, TResult>(FrontSession session, BackendRoute backend, RequestContext<TParams> request, CancellationToken cancellationToken, JsonNode? parameters = null)
        where TResult : class
    {
        session.Touch();
        try
        {
            JsonNode? result;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    var link = await links.AcquireAsync(backend, session, cancellationToken);
                    result = await link.SendAsync(request.JsonRpcRequest.Method, parameters ?? request.JsonRpcRequest.Params, session, request.Server, cancellationToken);
                    break;
                }
                catch (BackendUnavailableException lost) when (lost.SessionExpired && attempt == 0)
                {
                    // The server forgot the session (restarted, or expired it): a new one, transparently; the request was not handled.
                    GatewayLog.BackendSessionExpired(logger, backend.Name, session.Subject);
                }
            }

            return result.Deserialize((JsonTypeInfo<TResult>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(TResult)))
                   ?? throw new McpProtocolException($"The MCP server '{backend.Name}' sent an empty result.", McpErrorCode.InternalError);
        }
        catch (JsonException)
        {
            throw new McpProtocolException($"The MCP server '{backend.Name}' sent a result that is not valid MCP.", McpErrorCode.InternalError);
        }
        catch (Exception ex) when (request.JsonRpcRequest.Method != RequestMethods.ToolsCall && RelayFailures.AsProtocolError(ex, session, request.Server) is { } error)
        {
            // A tool call's failures become tool results, which the model reads (CallToolHandler).
            throw error;
        }
    }
}
