using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpSseAuth.Scopes;

/// <summary>
/// Inside the SDK: a call that reaches a primitive without its scopes is refused (the HTTP layer answers 403 before that;
/// this covers any other path), and with <see cref="McpRequiredScopes.HideFromListsWithoutScope"/> the lists leave out
/// what the caller cannot use.
/// </summary>
internal sealed class ScopeFilters(ScopeRequirements requirements, IOptions<McpOAuthOptions> options) : IPostConfigureOptions<McpServerOptions>
{
    public void PostConfigure(string? name, McpServerOptions server)
    {
        var filters = server.Filters.Request;
        filters.CallToolFilters.Add(next => async (context, cancellationToken) =>
        {
            Demand(context.User, requirements.For(RequestMethods.ToolsCall, context.Params?.Name));
            return await next(context, cancellationToken);
        });
        filters.GetPromptFilters.Add(next => async (context, cancellationToken) =>
        {
            Demand(context.User, requirements.For(RequestMethods.PromptsGet, context.Params?.Name));
            return await next(context, cancellationToken);
        });
        filters.ReadResourceFilters.Add(next => async (context, cancellationToken) =>
        {
            Demand(context.User, requirements.For(RequestMethods.ResourcesRead, context.Params?.Uri));
            return await next(context, cancellationToken);
        });

        filters.ListToolsFilters.Add(next => async (context, cancellationToken) =>
        {
            var result = await next(context, cancellationToken);
            if (options.Value.Scopes.Required.HideFromListsWithoutScope && context.Server.ServerOptions.ToolCollection is { } tools)
            {
                result.Tools = [.. result.Tools.Where(t => !tools.TryGetPrimitive(t.Name, out var tool) || ScopeRequirements.Missing(context.User, requirements.ForTool(tool)).Length == 0)];
            }

            return result;
        });
        filters.ListPromptsFilters.Add(next => async (context, cancellationToken) =>
        {
            var result = await next(context, cancellationToken);
            if (options.Value.Scopes.Required.HideFromListsWithoutScope && context.Server.ServerOptions.PromptCollection is { } prompts)
            {
                result.Prompts = [.. result.Prompts.Where(p => !prompts.TryGetPrimitive(p.Name, out var prompt) || ScopeRequirements.Missing(context.User, requirements.ForPrompt(prompt)).Length == 0)];
            }

            return result;
        });
        filters.ListResourcesFilters.Add(next => async (context, cancellationToken) =>
        {
            var result = await next(context, cancellationToken);
            if (options.Value.Scopes.Required.HideFromListsWithoutScope)
            {
                result.Resources = [.. result.Resources.Where(r => ScopeRequirements.Missing(context.User, requirements.For(RequestMethods.ResourcesRead, r.Uri)).Length == 0)];
            }

            return result;
        });
    }

    private static void Demand(System.Security.Claims.ClaimsPrincipal? user, IReadOnlyCollection<string> required)
    {
        if (ScopeRequirements.Missing(user, required) is { Length: > 0 } missing)
        {
            throw new McpProtocolException($"Insufficient scope: this needs {string.Join(' ', missing)}. Authorize again with it.", McpErrorCode.InvalidRequest);
        }
    }
}
