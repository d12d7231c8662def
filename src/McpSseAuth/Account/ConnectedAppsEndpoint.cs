using System.Text;
using McpSseAuth.Access;
using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Account;

/// <summary>
/// The signed-in user's connected apps: every client holding a grant or a remembered consent, with its scopes and when it
/// was last used, and how many MCP sessions it holds open now. Revoking (a POST with an anti-forgery token, field <c>client_id</c>) ends the client's grants at once —
/// refresh tokens refused, access tokens rejected on their next use — and forgets the consent, so it must ask again.
/// </summary>
internal sealed class ConnectedAppsEndpoint(
    IGrantStore grants,
    IConsentStore consents,
    IGrantRevocations revocations,
    UserAccess access,
    IMcpSessions sessions,
    IClientStore clients,
    IAntiforgery antiforgery,
    IOptions<McpOAuthOptions> options,
    ILogger<ConnectedAppsEndpoint> logger)
{
    public async Task HandleGetAsync(HttpContext context)
    {
        if (await AccountPages.SignedInOrChallengeAsync(context) is not { } principal)
        {
            return;
        }

        var notice = context.Request.Query["revoked"] == "1" ? "Access revoked. The application must ask you again to connect." : null;
        await WritePageAsync(context, principal, notice);
    }

    public async Task HandlePostAsync(HttpContext context)
    {
        if (await AccountPages.SignedInOrChallengeAsync(context) is not { } principal)
        {
            return;
        }

        if (await HtmlForm.ReadAsync(context, antiforgery) is not { } parameters)
        {
            return;
        }

        var subject = SignedInUser.From(principal)!.Subject;
        var clientId = parameters["client_id"];
        if (clientId is null)
        {
            await HtmlPage.WriteErrorAsync(context, OAuthError.InvalidRequest("No application was named."));
            return;
        }

        var revoked = await access.RevokeClientAsync(subject, clientId, context.RequestAborted);
        Log.GrantsRevokedByUser(logger, subject, Log.Short(clientId)!, revoked.GrantsRevoked);
        if (revoked is { GrantsRevoked: 0, ConsentsForgotten: 0 })
        {
            await WritePageAsync(context, principal, "That application has no access to revoke.", StatusCodes.Status404NotFound);
            return;
        }

        // Post/redirect/get: a reload does not post again.
        context.Response.Redirect((context.Request.PathBase + options.Value.Paths.ConnectedApps).ToUriComponent() + "?revoked=1");
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }

    private async Task WritePageAsync(HttpContext context, System.Security.Claims.ClaimsPrincipal principal, string? notice, int status = StatusCodes.Status200OK)
    {
        var o = options.Value;
        var subject = SignedInUser.From(principal)!.Subject;
        var live = new List<GrantRecord>();
        foreach (var grant in await grants.ListAsync(subject, context.RequestAborted))
        {
            if (!await revocations.IsRevokedAsync(grant.GrantId, context.RequestAborted))
            {
                live.Add(grant);
            }
        }

        var remembered = await consents.ListAsync(subject, context.RequestAborted);
        var connected = sessions.ListForUser(subject);
        var clientIds = live.Select(g => g.ClientId).Concat(remembered.Select(c => c.ClientId)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = new StringBuilder(AccountPages.Navigation(context, o, principal));
        if (notice is not null)
        {
            body.Append("<p role=\"status\">").Append(HtmlPage.Encode(notice)).Append("</p>");
        }

        var rows = 0;
        foreach (var clientId in clientIds)
        {
            var clientGrants = live.Where(g => g.ClientId == clientId).ToList();
            var consent = remembered.FirstOrDefault(c => c.ClientId == clientId);
            var client = await clients.FindAsync(clientId, context.RequestAborted);
            var scopes = clientGrants.SelectMany(g => g.Scopes).Concat(consent?.Scopes ?? []).Distinct(StringComparer.Ordinal);
            var redirectHosts = (consent?.RedirectUris ?? client?.RedirectUris ?? []).Select(HostOf).Distinct(StringComparer.Ordinal);

            body.Append("<section class=\"app\"><h2>").Append(HtmlPage.Encode(client?.ClientName ?? "An unnamed application")).Append("</h2>")
                .Append("<p class=\"muted\">Sends you back to ").Append(HtmlPage.Encode(string.Join(", ", redirectHosts))).Append("</p><ul>");
            foreach (var scope in scopes)
            {
                body.Append("<li>").Append(HtmlPage.Encode(o.Scopes.WordsFor(scope)))
                    .Append(" <span class=\"muted\">(").Append(HtmlPage.Encode(scope)).Append(")</span></li>");
            }

            body.Append("</ul><p class=\"muted\">");
            if (consent is not null)
            {
                body.Append("Allowed ").Append(AccountPages.Date(consent.GrantedAt)).Append(". ");
            }

            body.Append(clientGrants.Count == 0 ? "No active sign-in." : "Last used " + AccountPages.Date(clientGrants.Max(g => g.LastUsedAt)) + ".");
            var open = connected.Count(s => s.ClientId == clientId);
            if (open > 0)
            {
                body.Append(" Connected now (").Append(open).Append(open == 1 ? " session)." : " sessions).");
            }

            body.Append("</p><form method=\"post\" action=\"").Append(HtmlPage.Encode((context.Request.PathBase + o.Paths.ConnectedApps).ToUriComponent())).Append("\">")
                .Append(HtmlForm.AntiforgeryField(tokens))
                .Append("<input type=\"hidden\" name=\"client_id\" value=\"").Append(HtmlPage.Encode(clientId)).Append("\">")
                .Append("<button type=\"submit\">Revoke access</button></form></section>");
            rows++;
        }

        if (rows == 0)
        {
            body.Append("<p>No application has access to this server on your behalf.</p>");
        }

        await HtmlPage.WriteAsync(context, status, "Connected apps", body.ToString());
    }

    private static string HostOf(string redirectUri)
        => Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) ? HtmlForm.RedirectHost(uri) : redirectUri;
}
