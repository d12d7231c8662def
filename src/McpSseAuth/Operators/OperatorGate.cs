using System.Security.Claims;
using McpSseAuth.Account;
using McpSseAuth.Http;
using McpSseAuth.Telemetry;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Operators;

/// <summary>
/// Who may use the operator's view (<see cref="McpOAuthOperatorOptions.Access"/>). The pages take the signed-in user of
/// McpSseAuth's cookie, as the user's own pages do, and their forms carry anti-forgery tokens; the API takes only the
/// host's <see cref="McpOAuthOperatorOptions.ApiSchemes"/>, never the cookie, so no other site can make a browser call it.
/// A refusal is audited.
/// </summary>
internal sealed class OperatorGate(IMcpAccessRules rules, IOptionsMonitor<McpOAuthOptions> options, SecurityAudit audit)
{
    private const string NotAnOperator = "Only the server's operators may use this.";

    private McpOAuthOperatorOptions Operators => options.CurrentValue.Operators;

    /// <summary>The operator on a page, or null after answering: 404 with the view off, the sign-in page, or 403.</summary>
    public async Task<Operator?> PageAsync(HttpContext context)
    {
        if (!Operators.Access.HasRules)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return null;
        }

        if (await AccountPages.SignedInOrChallengeAsync(context) is not { } principal)
        {
            return null;
        }

        var refusal = await rules.RefusalAsync(principal, Operators.Access, context.RequestAborted);
        var user = SignedInUser.From(principal)!;
        if (refusal is not null)
        {
            await audit.OperatorRefusedAsync(context, user.Subject, refusal);
            await HtmlPage.WriteErrorAsync(context, OAuthError.AccessDenied(NotAnOperator + " " + refusal));
            return null;
        }

        return new Operator(principal, principal.FindFirst(SignedInUser.NameClaim)?.Value ?? user.Subject);
    }

    /// <summary>The operator calling the API, or null after answering: 404 with the API off, the scheme's 401, or 403.</summary>
    public async Task<Operator?> ApiAsync(HttpContext context)
    {
        var schemes = Operators.ApiSchemes;
        if (schemes.Count == 0 || !Operators.Access.HasRules)
        {
            await new OAuthError(OAuthErrorCodes.InvalidRequest, "The operator API is off: set McpOAuthOptions.Operators.ApiSchemes and Operators.Access.", StatusCodes.Status404NotFound).WriteAsync(context);
            return null;
        }

        foreach (var scheme in schemes)
        {
            var result = await context.AuthenticateAsync(scheme);
            if (result is not { Succeeded: true, Principal: { } principal })
            {
                continue;
            }

            var identity = UpstreamIdentity.From(principal, scheme, Operators.Access);
            var subject = identity?.UpstreamSubject;
            // By the principal's own claims (e-mail, domain, groups, roles), or by name: AllowedUsers naming its subject.
            var refusal = identity is null ? "The credentials name no subject." : AccessRuleCheck.Refusal(Operators.Access, identity);
            if (refusal is not null && subject is not null && AccessRuleCheck.RefusalByName(Operators.Access, subject) is null)
            {
                refusal = null;
            }

            if (refusal is not null)
            {
                await audit.OperatorRefusedAsync(context, subject, refusal);
                await OAuthError.AccessDenied(NotAnOperator + " " + refusal).WriteAsync(context);
                return null;
            }

            context.User = principal;
            return new Operator(principal, identity!.Email ?? identity.Name ?? subject!);
        }

        // None of them authenticated the caller: the first one says how (e.g. a Bearer challenge).
        await context.ChallengeAsync(schemes[0]);
        return null;
    }
}

/// <summary>An operator, as the audit trail names them.</summary>
internal sealed record Operator(ClaimsPrincipal Principal, string Name);
