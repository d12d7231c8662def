using McpSseAuth.Http;
using McpSseAuth.Telemetry;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Operators;

/// <summary>
/// The operator's view as JSON, under <see cref="McpOAuthPathOptions.Operator"/> + <c>/api</c>: <c>GET users</c>,
/// <c>GET users/{subject}</c>, <c>GET clients</c>, and <c>DELETE</c> of <c>users/{subject}</c>,
/// <c>users/{subject}/grants/{grantId}</c>, <c>users/{subject}/clients/{clientId}</c> and
/// <c>users/{subject}/sessions/{sessionId}</c>, each answering what it ended. Callers authenticate with the host's
/// <see cref="McpOAuthOperatorOptions.ApiSchemes"/> (<see cref="OperatorGate"/>); errors are OAuth's JSON shape.
/// </summary>
internal sealed class OperatorApiEndpoint(OperatorGate gate, OperatorDesk desk, SecurityAudit audit)
{
    public const string Users = "/api/users";
    public const string User = "/api/users/{subject}";
    public const string Clients = "/api/clients";
    public const string UserGrant = "/api/users/{subject}/grants/{grantId}";
    public const string UserClient = "/api/users/{subject}/clients/{clientId}";
    public const string UserSession = "/api/users/{subject}/sessions/{sessionId}";

    public async Task ListUsersAsync(HttpContext context)
    {
        if (await gate.ApiAsync(context) is not null)
        {
            await WriteAsync(context, await desk.UsersAsync(context.RequestAborted), OperatorJson.Default.IReadOnlyListOperatorUser);
        }
    }

    public async Task ListClientsAsync(HttpContext context)
    {
        if (await gate.ApiAsync(context) is not null)
        {
            await WriteAsync(context, await desk.ClientsAsync(context.RequestAborted), OperatorJson.Default.IReadOnlyListOperatorClient);
        }
    }

    public async Task GetUserAsync(HttpContext context)
    {
        if (await gate.ApiAsync(context) is null)
        {
            return;
        }

        if (await desk.UserAsync(Route(context, "subject"), context.RequestAborted) is not { } detail)
        {
            await NoSuchUser().WriteAsync(context);
            return;
        }

        await WriteAsync(context, detail, OperatorJson.Default.OperatorUserDetail);
    }

    public Task RemoveUserAsync(HttpContext context)
        => ActAsync(context, "remove user", null, (subject, _) => desk.RemoveUserAsync(subject, context.RequestAborted));

    public Task RevokeGrantAsync(HttpContext context)
        => ActAsync(context, "revoke grant", null, (subject, _) => desk.RevokeGrantAsync(subject, Route(context, "grantId"), context.RequestAborted));

    public Task RevokeClientAsync(HttpContext context)
        => ActAsync(context, "revoke client", Route(context, "clientId"), (subject, clientId) => desk.RevokeClientAsync(subject, clientId!, context.RequestAborted));

    public Task EndSessionAsync(HttpContext context)
        => ActAsync(context, "end session", null, (subject, _) => Task.FromResult(desk.EndSession(subject, Route(context, "sessionId"))));

    private async Task ActAsync(HttpContext context, string action, string? clientId, Func<string, string?, Task<McpAccessRevocation>> act)
    {
        if (await gate.ApiAsync(context) is not { } op)
        {
            return;
        }

        var subject = Route(context, "subject");
        var result = await act(subject, clientId);
        await audit.OperatorActedAsync(context, op.Name, action, subject, clientId, result);
        await WriteAsync(context, new OperatorRevocation(result.GrantsRevoked, result.ConsentsForgotten, result.SessionsEnded), OperatorJson.Default.OperatorRevocation);
    }

    private static OAuthError NoSuchUser()
        => new(OAuthErrorCodes.InvalidRequest, OperatorDesk.UnknownUser, StatusCodes.Status404NotFound);

    // Route values arrive decoded, except an escaped '/' (%2F), which a local user name may hold; decoding them again
    // would turn a name's own '%41' into 'A'.
    private static string Route(HttpContext context, string name)
        => (context.Request.RouteValues[name] as string ?? "").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static Task WriteAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return context.Response.WriteAsJsonAsync(value, type, contentType: "application/json", context.RequestAborted);
    }
}
