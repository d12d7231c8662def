using System.Security.Claims;
using McpSseAuth.Http;
using McpSseAuth.Pages;
using McpSseAuth.Users;
using McpSseAuth.UserTokens;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Account;

/// <summary>
/// The signed-in user's service tokens (<see cref="McpOAuthOptions.ServiceTokens"/>): which are stored (never their
/// value), a form to store or replace one, and a delete button. Posts carry an anti-forgery token and fields
/// <c>service</c>, <c>action</c> (<c>save</c> or <c>delete</c>) and <c>token</c>.
/// </summary>
internal sealed class ServiceTokensEndpoint(McpUserTokens userTokens, IAntiforgery antiforgery, PageWriter pages, IOptions<McpOAuthOptions> options, ILogger<ServiceTokensEndpoint> logger)
{
    public async Task HandleGetAsync(HttpContext context)
    {
        if (await AccountPages.SignedInOrChallengeAsync(context) is not { } principal)
        {
            return;
        }

        var done = context.Request.Query["done"].ToString();
        var notice = done switch
        {
            "saved" => pages.Texts.TokenSaved,
            "deleted" => pages.Texts.TokenDeleted,
            "connected" => pages.Texts.AccountConnected,
            _ => null,
        };
        await WritePageAsync(context, principal, notice, problem: done == "failed" ? ConnectFailed : null);
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

        var service = options.Value.ServiceTokens.FirstOrDefault(s => s.Name == parameters["service"]);
        if (service is null)
        {
            await WritePageAsync(context, principal, null, "That service is not configured on this server.", StatusCodes.Status400BadRequest);
            return;
        }

        var subject = SignedInUser.From(principal)!.Subject;
        string done;
        switch (parameters["action"])
        {
            case "connect" when service.ConnectScheme is not null:
                // The code flow of the scheme's own handler; the answer comes back to HandleConnectedAsync, for this user only.
                await context.ChallengeAsync(service.ConnectScheme, new AuthenticationProperties
                {
                    RedirectUri = context.Request.PathBase.Add(options.Value.Paths.ServiceTokens).Add(ConnectedSuffix).ToUriComponent(),
                    Items = { [ServiceItem] = service.Name, [SubjectItem] = subject },
                });
                return;
            case "save" when service.ConnectScheme is not null:
                await WritePageAsync(context, principal, null, "This service is connected through its provider: use Connect.", StatusCodes.Status400BadRequest);
                return;
            case "save":
                var token = (parameters["token"] ?? "").Trim();
                if (McpUserTokens.ServiceTokenProblem(token, service) is { } problem)
                {
                    await WritePageAsync(context, principal, null, problem, StatusCodes.Status400BadRequest);
                    return;
                }

                await userTokens.SetServiceTokenAsync(principal, service.Name, token, context.RequestAborted);
                Log.ServiceTokenSaved(logger, subject, service.Name);
                done = "saved";
                break;
            case "delete":
                await userTokens.DeleteServiceTokenAsync(principal, service.Name, context.RequestAborted);
                Log.ServiceTokenDeleted(logger, subject, service.Name);
                done = "deleted";
                break;
            default:
                await WritePageAsync(context, principal, null, "The action must be save or delete.", StatusCodes.Status400BadRequest);
                return;
        }

        BackToPage(context, done);
    }

    /// <summary>
    /// <c>GET {ServiceTokens}/connected</c>: the end of a connection the user started here. The scheme's handler has checked
    /// the provider's answer (state, correlation, code) and left its tokens in the external cookie; they are kept for this
    /// service only if the connection was started by the same signed-in user, then the cookie is cleared.
    /// </summary>
    public async Task HandleConnectedAsync(HttpContext context)
    {
        if (await AccountPages.SignedInOrChallengeAsync(context) is not { } principal)
        {
            return;
        }

        var result = await context.AuthenticateAsync(McpOAuthDefaults.ExternalCookieScheme);
        await context.SignOutAsync(McpOAuthDefaults.ExternalCookieScheme);
        var subject = SignedInUser.From(principal)!.Subject;
        var items = result.Properties?.Items;
        var service = items is not null && items.TryGetValue(ServiceItem, out var name) ? options.Value.ServiceTokens.FirstOrDefault(s => s.Name == name && s.ConnectScheme is not null) : null;
        if (!result.Succeeded || service is null || items![SubjectItem] != subject
            || !await userTokens.SaveConnectionAsync(subject, service, result.Properties!, context.RequestAborted))
        {
            await WritePageAsync(context, principal, null, ConnectFailed, StatusCodes.Status400BadRequest);
            return;
        }

        Log.ServiceConnected(logger, subject, service.Name);
        BackToPage(context, "connected");
    }

    /// <summary>303 to the page, which says what was <paramref name="done"/> (post/redirect/get: a reload posts nothing again).</summary>
    private void BackToPage(HttpContext context, string done)
    {
        context.Response.Redirect((context.Request.PathBase + options.Value.Paths.ServiceTokens).ToUriComponent() + "?done=" + done);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }

    /// <summary>Where a connection comes back, under the service-tokens page.</summary>
    public const string ConnectedSuffix = "/connected";

    public const string ServiceItem = "mcpsseauth.service";
    public const string SubjectItem = "mcpsseauth.subject";

    private const string ConnectFailed = "Connecting did not complete: it was cancelled or failed. Try again.";

    private async Task WritePageAsync(HttpContext context, ClaimsPrincipal principal, string? notice, string? problem, int status = StatusCodes.Status200OK)
    {
        var o = options.Value;
        var (stored, lost) = await userTokens.StoredServicesAsync(principal, context.RequestAborted);
        var services = o.ServiceTokens.Select(s => new ServiceTokenView(s.Name, s.DisplayName, s.Description, s.HelpUrl?.AbsoluteUri, stored.Contains(s.Name), s.ConnectScheme is not null, lost.Contains(s.Name))).ToList();
        var view = new ServiceTokensView(
            AccountPages.Navigation(context, o, principal),
            notice,
            problem,
            services,
            (context.Request.PathBase + o.Paths.ServiceTokens).ToUriComponent(),
            McpUserTokens.MaxServiceTokenLength,
            antiforgery.GetAndStoreTokens(context));
        await pages.WriteAsync<ServiceTokensPage>(context, status, pages.Texts.ServiceTokensTitle, view);
    }
}
