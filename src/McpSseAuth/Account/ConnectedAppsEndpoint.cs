using McpSseAuth.Access;
using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Pages;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
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
    PageWriter pages,
    IOptions<McpOAuthOptions> options)
{
    public async Task HandleGetAsync(HttpContext context)
    {
        if (await AccountPages.SignedInOrChallengeAsync(context) is not { } principal)
        {
            return;
        }

        var notice = context.Request.Query["revoked"] == "1" ? pages.Texts.AccessRevoked : null;
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

        var revoked = await access.RevokeClientAsync(subject, clientId, byUser: context, context.RequestAborted);
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

        var apps = new List<ConnectedAppView>();
        foreach (var clientId in clientIds)
        {
            var clientGrants = live.Where(g => g.ClientId == clientId).ToList();
            var consent = remembered.FirstOrDefault(c => c.ClientId == clientId);
            var client = await clients.FindAsync(clientId, context.RequestAborted);
            var scopes = clientGrants.SelectMany(g => g.Scopes).Concat(consent?.Scopes ?? []).Distinct(StringComparer.Ordinal);
            var redirectHosts = (consent?.RedirectUris ?? client?.RedirectUris ?? []).Select(HostOf).Distinct(StringComparer.Ordinal);
            apps.Add(new ConnectedAppView(
                clientId,
                client?.ClientName,
                string.Join(", ", redirectHosts),
                [.. scopes.Select(s => new ScopeWords(s, o.Scopes.WordsFor(s)))],
                consent is null ? null : AccountPages.Date(consent.GrantedAt),
                clientGrants.Count == 0 ? null : AccountPages.Date(clientGrants.Max(g => g.LastUsedAt)),
                connected.Count(s => s.ClientId == clientId)));
        }

        var view = new ConnectedAppsView(AccountPages.Navigation(context, o, principal), notice, apps, (context.Request.PathBase + o.Paths.ConnectedApps).ToUriComponent(), antiforgery.GetAndStoreTokens(context));
        await pages.WriteAsync<ConnectedAppsPage>(context, status, pages.Texts.ConnectedAppsTitle, view);
    }

    private static string HostOf(string redirectUri)
        => Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) ? HtmlForm.RedirectHost(uri) : redirectUri;
}
