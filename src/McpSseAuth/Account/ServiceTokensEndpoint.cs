using System.Security.Claims;
using McpSseAuth.Http;
using McpSseAuth.Pages;
using McpSseAuth.Users;
using McpSseAuth.UserTokens;
using Microsoft.AspNetCore.Antiforgery;
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

        var notice = context.Request.Query["done"].ToString() switch
        {
            "saved" => pages.Texts.TokenSaved,
            "deleted" => pages.Texts.TokenDeleted,
            _ => null,
        };
        await WritePageAsync(context, principal, notice, problem: null);
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

        context.Response.Redirect((context.Request.PathBase + options.Value.Paths.ServiceTokens).ToUriComponent() + "?done=" + done);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }

    private async Task WritePageAsync(HttpContext context, ClaimsPrincipal principal, string? notice, string? problem, int status = StatusCodes.Status200OK)
    {
        var o = options.Value;
        var stored = await userTokens.StoredServicesAsync(principal, context.RequestAborted);
        var services = o.ServiceTokens.Select(s => new ServiceTokenView(s.Name, s.DisplayName, s.Description, s.HelpUrl?.AbsoluteUri, stored.Contains(s.Name))).ToList();
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
