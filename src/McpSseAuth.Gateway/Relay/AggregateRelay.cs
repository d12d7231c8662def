using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using McpSseAuth.Gateway.Backends;
using McpSseAuth.Gateway.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Gateway.Relay;

/// <summary>
/// The aggregated endpoint: the tools, prompts, resources and resource templates of every server the user may use
/// (its access rules and scopes, <see cref="BackendAccess"/>), asked for with the user's own connections each time a
/// list is asked for — never one user's list for another. Tool and prompt names carry their server's name before
/// <see cref="McpGatewayAggregateOptions.Separator"/>; resource URIs stay as the servers wrote them (tool results link
/// to them), and a read goes to the server that listed the URI.
/// </summary>
internal sealed class AggregateRelay(GatewayRoutes routes, BackendRelay relay, BackendAccess access, ILogger<AggregateRelay> logger)
{
    public void Configure(McpServerOptions options, FrontSession session)
    {
        var separator = routes.Options.Aggregate.Separator;
        var backends = routes.Backends.Where(b => b.Server.Aggregate).ToArray();
        var resourceOwners = new ConcurrentDictionary<string, BackendRoute>(StringComparer.Ordinal);
        options.ServerInfo = new Implementation { Name = "McpSseAuth.Gateway", Version = typeof(AggregateRelay).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" };
        options.Capabilities = BackendRelay.Capabilities();
        options.ToolCollection = null;
        options.PromptCollection = null;
        options.ResourceCollection = null;

        var handlers = options.Handlers;
        handlers.ListToolsHandler = async (request, ct) => new ListToolsResult
        {
            Tools = [.. (await EachAsync(session, backends, request, async b =>
                (await relay.ForwardAsync<ListToolsRequestParams, ListToolsResult>(session, b, request, ct, new JsonObject())).Tools
                    .Where(t => b.Offers(t.Name))
                    .Select(t => { t.Name = b.Name + separator + t.Name; return t; }), ct))
                .SelectMany(t => t)],
        };
        handlers.CallToolHandler = async (request, ct) =>
        {
            var (backend, name) = await TargetAsync(session, backends, request.Params?.Name, separator, request.User, ct);
            if (backend is null || !backend.Offers(name))
            {
                throw new McpProtocolException($"Unknown tool: '{request.Params?.Name}'.", McpErrorCode.InvalidParams);
            }

            try
            {
                return await relay.ForwardAsync<CallToolRequestParams, CallToolResult>(session, backend, request, ct, Renamed(request.JsonRpcRequest.Params, "name", name));
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
        handlers.ListPromptsHandler = async (request, ct) => new ListPromptsResult
        {
            Prompts = [.. (await EachAsync(session, backends, request, async b =>
                (await relay.ForwardAsync<ListPromptsRequestParams, ListPromptsResult>(session, b, request, ct, new JsonObject())).Prompts
                    .Select(p => { p.Name = b.Name + separator + p.Name; return p; }), ct))
                .SelectMany(p => p)],
        };
        handlers.GetPromptHandler = async (request, ct) =>
        {
            var (backend, name) = await TargetAsync(session, backends, request.Params?.Name, separator, request.User, ct);
            return backend is null
                ? throw new McpProtocolException($"Unknown prompt: '{request.Params?.Name}'.", McpErrorCode.InvalidParams)
                : await relay.ForwardAsync<GetPromptRequestParams, GetPromptResult>(session, backend, request, ct, Renamed(request.JsonRpcRequest.Params, "name", name));
        };
        handlers.ListResourcesHandler = async (request, ct) => new ListResourcesResult
        {
            Resources = [.. (await EachAsync(session, backends, request, async b =>
            {
                var listed = (await relay.ForwardAsync<ListResourcesRequestParams, ListResourcesResult>(session, b, request, ct, new JsonObject())).Resources;
                foreach (var resource in listed)
                {
                    resourceOwners.TryAdd(resource.Uri, b);
                }

                return listed;
            }, ct)).SelectMany(r => r)],
        };
        handlers.ListResourceTemplatesHandler = async (request, ct) => new ListResourceTemplatesResult
        {
            ResourceTemplates = [.. (await EachAsync(session, backends, request, async b =>
            {
                var listed = (await relay.ForwardAsync<ListResourceTemplatesRequestParams, ListResourceTemplatesResult>(session, b, request, ct, new JsonObject())).ResourceTemplates;
                foreach (var template in listed)
                {
                    resourceOwners.TryAdd(TemplatePrefix(template.UriTemplate), b);
                }

                return listed;
            }, ct)).SelectMany(t => t)],
        };
        handlers.ReadResourceHandler = async (request, ct) => await relay.ForwardAsync<ReadResourceRequestParams, ReadResourceResult>(session, await OwnerAsync(request.Params?.Uri, request.User, ct), request, ct);
        handlers.SubscribeToResourcesHandler = async (request, ct) =>
        {
            var result = await relay.ForwardAsync<SubscribeRequestParams, EmptyResult>(session, await OwnerAsync(request.Params?.Uri, request.User, ct), request, ct);
            session.Subscribe(request.Params!.Uri);
            return result;
        };
        handlers.UnsubscribeFromResourcesHandler = async (request, ct) =>
        {
            session.Unsubscribe(request.Params!.Uri);
            return await relay.ForwardAsync<UnsubscribeRequestParams, EmptyResult>(session, await OwnerAsync(request.Params?.Uri, request.User, ct), request, ct);
        };
        handlers.CompleteHandler = async (request, ct) =>
        {
            if (request.Params?.Ref is PromptReference prompt)
            {
                var (backend, name) = await TargetAsync(session, backends, prompt.Name, separator, request.User, ct);
                var parameters = (JsonObject)request.JsonRpcRequest.Params!.DeepClone();
                parameters["ref"]!["name"] = name;
                return backend is null
                    ? throw new McpProtocolException($"Unknown prompt: '{prompt.Name}'.", McpErrorCode.InvalidParams)
                    : await relay.ForwardAsync<CompleteRequestParams, CompleteResult>(session, backend, request, ct, parameters);
            }

            var uri = (request.Params?.Ref as ResourceTemplateReference)?.Uri;
            return await relay.ForwardAsync<CompleteRequestParams, CompleteResult>(session, await OwnerAsync(uri is null ? null : TemplatePrefix(uri), request.User, ct), request, ct);
        };
        handlers.SetLoggingLevelHandler = async (request, ct) =>
        {
            await EachAsync(session, backends, request, async b => await relay.ForwardAsync<SetLevelRequestParams, EmptyResult>(session, b, request, ct), ct);
            return new EmptyResult();
        };
        handlers.NotificationHandlers = [.. handlers.NotificationHandlers ?? [], BackendRelay.RootsChanged(session)];

        async Task<BackendRoute> OwnerAsync(string? uri, System.Security.Claims.ClaimsPrincipal? user, CancellationToken ct)
        {
            var owner = uri is null ? null : resourceOwners.TryGetValue(uri, out var known) ? known
                : resourceOwners.Where(o => uri.StartsWith(o.Key, StringComparison.Ordinal)).OrderByDescending(o => o.Key.Length).Select(o => o.Value).FirstOrDefault();
            return owner is not null && await access.MayUseAsync(owner, user ?? session.User, ct)
                ? owner
                : throw new McpProtocolException($"Unknown resource: '{uri}'. List the resources first.", McpErrorCode.ResourceNotFound);
        }
    }

    /// <summary>The backend a namespaced name belongs to, if the user may use it, and the name there.</summary>
    private async Task<(BackendRoute? Backend, string Name)> TargetAsync(FrontSession session, BackendRoute[] backends, string? name, string separator, System.Security.Claims.ClaimsPrincipal? user, CancellationToken ct)
    {
        var backend = name is null ? null : backends.Where(b => name.StartsWith(b.Name + separator, StringComparison.Ordinal)).MaxBy(b => b.Name.Length);
        return backend is not null && await access.MayUseAsync(backend, user ?? session.User, ct)
            ? (backend, name![(backend.Name.Length + separator.Length)..])
            : (null, name ?? "");
    }

    /// <summary>
    /// <paramref name="each"/> for every server the user may use, at once; a server that fails is left out of the answer
    /// (and logged), so one broken server does not hide the others.
    /// </summary>
    private async Task<IEnumerable<T>> EachAsync<TParams, T>(FrontSession session, BackendRoute[] backends, RequestContext<TParams> request, Func<BackendRoute, Task<T>> each, CancellationToken ct)
    {
        var user = request.User ?? session.User;
        var usable = new List<BackendRoute>();
        foreach (var backend in backends)
        {
            if (await access.MayUseAsync(backend, user, ct))
            {
                usable.Add(backend);
            }
        }

        var results = await Task.WhenAll(usable.Select(async b =>
        {
            try
            {
                return (Ok: true, Value: await each(b));
            }
            catch (McpProtocolException ex) when (!ct.IsCancellationRequested)
            {
                GatewayLog.AggregatePartFailed(logger, b.Name, session.Subject, request.JsonRpcRequest.Method, ex.Message);
                return (Ok: false, Value: default(T)!);
            }
        }));
        return results.Where(r => r.Ok).Select(r => r.Value);
    }

    private static JsonObject Renamed(JsonNode? parameters, string property, string value)
    {
        var renamed = parameters?.DeepClone() as JsonObject ?? [];
        renamed[property] = value;
        return renamed;
    }

    /// <summary>The fixed start of a URI template (<c>demo://resource/{id}</c> → <c>demo://resource/</c>).</summary>
    private static string TemplatePrefix(string template) => template.IndexOf('{', StringComparison.Ordinal) is var brace and >= 0 ? template[..brace] : template;
}
