using System.Security.Claims;
using System.Text;
using McpSseAuth.Http;
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
internal sealed class ServiceTokensEndpoint(McpUserTokens userTokens, IAntiforgery antiforgery, IOptions<McpOAuthOptions> options, ILogger<ServiceTokensEndpoint> logger)
{
    public async Task HandleGetAsync(HttpContext context)
    {
        if (await AccountPages.SignedInOrChallengeAsync(context) is not { } principal)
        {
            return;
        }

        var notice = context.Request.Query["done"].ToString() switch
        {
            "saved" => "Token saved.",
            "deleted" => "Token deleted.",
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
                if (McpUserTokens.ServiceTokenProblem(token) is { } problem)
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
        var tokens = antiforgery.GetAndStoreTokens(context);
        var action = HtmlPage.Encode((context.Request.PathBase + o.Paths.ServiceTokens).ToUriComponent());
        var antiforgeryField = HtmlForm.AntiforgeryField(tokens);

        var body = new StringBuilder(AccountPages.Navigation(context, o, principal))
            .Append("<p class=\"muted\">Tools of this server use these tokens on your behalf, and only for you. They are stored encrypted and never shown again.</p>");
        if (notice is not null)
        {
            body.Append("<p role=\"status\">").Append(HtmlPage.Encode(notice)).Append("</p>");
        }

        if (problem is not null)
        {
            body.Append("<p class=\"error\" role=\"alert\">").Append(HtmlPage.Encode(problem)).Append("</p>");
        }

        if (o.ServiceTokens.Count == 0)
        {
            body.Append("<p>This server uses no service tokens.</p>");
        }

        foreach (var service in o.ServiceTokens)
        {
            var id = "token-" + service.Name;
            var has = stored.Contains(service.Name);
            body.Append("<section class=\"service\"><h2>").Append(HtmlPage.Encode(service.DisplayName)).Append("</h2>");
            if (service.Description is not null)
            {
                body.Append("<p class=\"muted\">").Append(HtmlPage.Encode(service.Description)).Append("</p>");
            }

            body.Append("<p>").Append(has ? "A token is stored." : "No token stored.").Append("</p>")
                .Append("<form method=\"post\" action=\"").Append(action).Append("\">").Append(antiforgeryField)
                .Append("<input type=\"hidden\" name=\"service\" value=\"").Append(HtmlPage.Encode(service.Name)).Append("\">")
                .Append("<label for=\"").Append(HtmlPage.Encode(id)).Append("\">").Append(has ? "Replace the token" : "Token").Append("</label>")
                .Append("<input type=\"password\" id=\"").Append(HtmlPage.Encode(id)).Append("\" name=\"token\" autocomplete=\"off\" required maxlength=\"").Append(McpUserTokens.MaxServiceTokenLength).Append("\">")
                .Append("<button type=\"submit\" name=\"action\" value=\"save\">Save</button></form>");
            if (has)
            {
                body.Append("<form method=\"post\" action=\"").Append(action).Append("\">").Append(antiforgeryField)
                    .Append("<input type=\"hidden\" name=\"service\" value=\"").Append(HtmlPage.Encode(service.Name)).Append("\">")
                    .Append("<button type=\"submit\" name=\"action\" value=\"delete\">Delete</button></form>");
            }

            body.Append("</section>");
        }

        await HtmlPage.WriteAsync(context, status, "Service tokens", body.ToString());
    }
}
