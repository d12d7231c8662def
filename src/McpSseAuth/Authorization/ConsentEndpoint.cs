using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>
/// Takes the user's decision from the consent form (anti-forgery checked, bound to the signed-in user) and
/// redirects with a single-use authorization code, or with <c>error=access_denied</c>.
/// </summary>
internal sealed class ConsentEndpoint(
    IPendingAuthorizationStore pending,
    AuthorizationCodes codes,
    PendingShares shares,
    IAntiforgery antiforgery,
    ServerUris uris,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    Telemetry.SecurityAudit audit)
{
    public async Task HandleAsync(HttpContext context)
    {
        var signIn = await context.AuthenticateAsync(McpOAuthDefaults.SignInCookieScheme);
        var user = SignedInUser.From(signIn.Principal, options.Value.Tokens.AccessTokenClaims);
        if (user is null)
        {
            await HtmlPage.WriteErrorAsync(context, OAuthError.InvalidRequest("You are no longer signed in. Return to the application and start again."));
            return;
        }

        // The anti-forgery token was issued to this user: a token from another session does not validate.
        context.User = signIn.Principal!;
        if (await HtmlForm.ReadAsync(context, antiforgery) is not { } parameters)
        {
            return;
        }

        var decision = parameters["decision"];
        if (decision is not ("allow" or "deny"))
        {
            await HtmlPage.WriteErrorAsync(context, OAuthError.InvalidRequest("The decision must be allow or deny."));
            return;
        }

        var handle = parameters["request_id"];
        var request = handle is null ? null : await pending.FindAsync(handle, context.RequestAborted);
        if (request is null || !string.Equals(request.Subject, user.Subject, StringComparison.Ordinal))
        {
            await AlreadyAnsweredAsync(context);
            return;
        }

        var issuer = uris.Issuer(context);
        if (decision == "deny")
        {
            if (await pending.TryTakeAsync(handle!, context.RequestAborted) is null)
            {
                await AlreadyAnsweredAsync(context);
                return;
            }

            shares.Release(request.Subject, request.AdmittedFrom, request.ExpiresAt);
            await audit.ConsentAsync(context, user.Subject, request.ClientId, string.Join(' ', request.Resources), allowed: false);
            AuthorizationResponse.RedirectWithError(context, request.RedirectUri, OAuthError.AccessDenied("The user denied access."), request.State, issuer);
            return;
        }

        // Remembered and the code stored (together: neither needs the other) before the request is spent: a storage failure
        // in between leaves the request to be answered again (the form can be sent again), never answered with nothing to
        // show for it.
        var approved = new ApprovedAuthorization(request.ClientId, request.RedirectUri, request.RedirectUriGiven, request.State, request.CodeChallenge, request.Scopes, request.Resources, request.DpopJkt);
        var now = time.GetUtcNow();
        if (await Together.AwaitAsync(codes.RememberAsync(approved, user.Subject, now, request.NoConsentBefore, context.RequestAborted), codes.IssueAsync(context, approved, user, now)) is not { } code)
        {
            return;
        }

        if (await pending.TryTakeAsync(handle!, context.RequestAborted) is null)
        {
            await AlreadyAnsweredAsync(context);
            return;
        }

        shares.Release(request.Subject, request.AdmittedFrom, request.ExpiresAt);
        await audit.ConsentAsync(context, user.Subject, request.ClientId, string.Join(' ', request.Resources), allowed: true);
        AuthorizationResponse.RedirectWithCode(context, request.RedirectUri, code, request.State, issuer);
    }

    private static Task AlreadyAnsweredAsync(HttpContext context)
        => HtmlPage.WriteErrorAsync(context, OAuthError.InvalidRequest("This authorization request has expired or was already answered. Return to the application and start again."));
}
