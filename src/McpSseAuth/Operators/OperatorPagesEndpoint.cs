using McpSseAuth.Account;
using McpSseAuth.Http;
using McpSseAuth.Pages;
using McpSseAuth.Telemetry;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Operators;

/// <summary>
/// The operator's pages at <see cref="McpOAuthPathOptions.Operator"/>: the overview (users and clients), a user's page
/// (<c>?user=</c>) with their grants and live sessions, and the forms that revoke them (a POST of <c>action</c> and
/// <c>user</c> with an anti-forgery token), answered by post/redirect/get.
/// </summary>
internal sealed class OperatorPagesEndpoint(OperatorGate gate, OperatorDesk desk, SecurityAudit audit, IAntiforgery antiforgery, PageWriter pages, IOptions<McpOAuthOptions> options)
{
    public async Task HandleGetAsync(HttpContext context)
    {
        if (await gate.PageAsync(context) is not { } op)
        {
            return;
        }

        var notice = context.Request.Query["done"].ToString() is { Length: > 0 } done ? Done(done) : null;
        if (context.Request.Query["user"].ToString() is { Length: > 0 } subject)
        {
            await WriteUserAsync(context, op, subject, notice);
            return;
        }

        var users = await desk.UsersAsync(context.RequestAborted);
        var clients = await desk.ClientsAsync(context.RequestAborted);
        var view = new OperatorOverviewView(
            Nav(context, op),
            notice,
            [.. users.Select(u => Row(context, u))],
            [.. clients.Select(c => new OperatorClientRow(c.ClientId, c.ClientName, c.Kind, string.Join(", ", c.RedirectUris.Select(HostOf).Distinct(StringComparer.Ordinal)), Date(c.RegisteredAt), Date(c.LastUsedAt)))]);
        await pages.WriteAsync<OperatorOverviewPage>(context, StatusCodes.Status200OK, "Operator's view", view);
    }

    public async Task HandlePostAsync(HttpContext context)
    {
        if (await gate.PageAsync(context) is not { } op || await HtmlForm.ReadAsync(context, antiforgery) is not { } form)
        {
            return;
        }

        var subject = form["user"];
        var action = form["action"];
        var (target, clientId) = action switch
        {
            "revoke_grant" => (form["grant_id"], null),
            "revoke_client" => (form["client_id"], form["client_id"]),
            "end_session" => (form["session_id"], null),
            "remove_user" => (subject, null),
            _ => (null, null),
        };
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(target))
        {
            await HtmlPage.WriteErrorAsync(context, OAuthError.InvalidRequest("The form names no user, or nothing to revoke."));
            return;
        }

        var ct = context.RequestAborted;
        var result = action switch
        {
            "revoke_grant" => await desk.RevokeGrantAsync(subject, target, ct),
            "revoke_client" => await desk.RevokeClientAsync(subject, target, ct),
            "end_session" => desk.EndSession(subject, target),
            _ => await desk.RemoveUserAsync(subject, ct),
        };
        await audit.OperatorActedAsync(context, op.Name, action!.Replace('_', ' '), subject, clientId, result);

        // Post/redirect/get: a reload does not post again.
        var page = PageUrl(context);
        var done = result is { GrantsRevoked: 0, ConsentsForgotten: 0, SessionsEnded: 0 } && action != "remove_user" ? "nothing" : action;
        context.Response.Redirect(action == "remove_user"
            ? QueryHelpers.AddQueryString(page, "done", done)
            : QueryHelpers.AddQueryString(page, new Dictionary<string, string?> { ["user"] = subject, ["done"] = done }));
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }

    private async Task WriteUserAsync(HttpContext context, Operator op, string subject, string? notice)
    {
        if (await desk.UserAsync(subject, context.RequestAborted) is not { } detail)
        {
            await HtmlPage.WriteErrorAsync(context, new OAuthError(OAuthErrorCodes.InvalidRequest, OperatorDesk.UnknownUser, StatusCodes.Status404NotFound));
            return;
        }

        var view = new OperatorUserView(
            Nav(context, op),
            notice,
            Row(context, detail.User),
            [.. detail.Grants.Select(g => new OperatorGrantRow(g.GrantId, g.ClientId, g.ClientName, string.Join(" ", g.Scopes), AccountPages.Date(g.CreatedAt), AccountPages.Date(g.LastUsedAt), AccountPages.Date(g.ExpiresAt)))],
            [.. detail.Sessions.Select(s => new OperatorSessionRow(s.SessionId, s.Transport == "sse" ? "Legacy SSE" : "Streamable HTTP", s.ClientId, AccountPages.Date(s.CreatedAt), AccountPages.Date(s.LastActivityAt)))],
            PageUrl(context),
            antiforgery.GetAndStoreTokens(context));
        await pages.WriteAsync<OperatorUserPage>(context, StatusCodes.Status200OK, detail.User.Name, view);
    }

    private AccountNavView Nav(HttpContext context, Operator op) => AccountPages.Navigation(context, options.Value, op.Principal);

    private OperatorUserRow Row(HttpContext context, OperatorUser user)
        => new(user.Subject, user.Name, user.Method, Date(user.LastSignInAt), user.LiveSessions,
            QueryHelpers.AddQueryString(PageUrl(context), "user", user.Subject));

    private string PageUrl(HttpContext context) => (context.Request.PathBase + options.Value.Paths.Operator).ToUriComponent();

    private static string? Date(DateTimeOffset? value) => value is { } at ? AccountPages.Date(at) : null;

    private static string HostOf(string redirectUri)
        => Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) ? HtmlForm.RedirectHost(uri) : redirectUri;

    private static string? Done(string action) => action switch
    {
        "revoke_grant" => "Grant revoked: its tokens are refused and its sessions ended.",
        "revoke_client" => "Client revoked for this user: its grants ended and its consent forgotten.",
        "end_session" => "Session ended.",
        "remove_user" => "User removed.",
        "nothing" => "There was nothing left to revoke.",
        _ => null,
    };
}
