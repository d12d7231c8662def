using McpSseAuth.Discovery;
using McpSseAuth.Http;
using McpSseAuth.Identity;
using McpSseAuth.Stores;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>
/// Takes the user's decision from the consent form (anti-forgery checked, bound to the signed-in user) and
/// redirects with a single-use authorization code, or with <c>error=access_denied</c>.
/// </summary>
internal sealed class ConsentEndpoint(
    IPendingAuthorizationStore pending,
    IAuthorizationCodeStore codes,
    IClientStore clients,
    IAntiforgery antiforgery,
    ServerUris uris,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    ILogger<ConsentEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var signIn = await context.AuthenticateAsync(McpOAuthDefaults.SignInCookieScheme);
        var user = SignedInUser.From(signIn.Principal);
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
        if (request is null || !string.Equals(request.Subject, user.Subject, StringComparison.Ordinal) ||
            await pending.TryTakeAsync(handle!, context.RequestAborted) is null)
        {
            await HtmlPage.WriteErrorAsync(context, OAuthError.InvalidRequest("This authorization request has expired or was already answered. Return to the application and start again."));
            return;
        }

        var issuer = uris.Issuer(context);
        Log.ConsentDecided(logger, user.Subject, decision == "allow" ? "allowed" : "denied", request.ClientId, string.Join(' ', request.Resources));
        if (decision == "deny")
        {
            AuthorizationResponse.RedirectWithError(context, request.RedirectUri, OAuthError.AccessDenied("The user denied access."), request.State, issuer);
            return;
        }

        await clients.MarkUsedAsync(request.ClientId, context.RequestAborted);
        var code = OpaqueHandle.Create();
        var stored = await codes.StoreAsync(code, new AuthorizationCode
        {
            ClientId = request.ClientId,
            RedirectUri = request.RedirectUri,
            RedirectUriGiven = request.RedirectUriGiven,
            CodeChallenge = request.CodeChallenge,
            User = user,
            Scopes = request.Scopes,
            Resources = request.Resources,
            GrantId = OpaqueHandle.Create(),
            ExpiresAt = time.GetUtcNow() + options.Value.AuthorizationCodeLifetime,
        }, context.RequestAborted);
        if (!stored)
        {
            AuthorizationResponse.RedirectWithError(context, request.RedirectUri, OAuthError.TemporarilyUnavailable("The server is too busy; try again later."), request.State, issuer);
            return;
        }

        AuthorizationResponse.RedirectWithCode(context, request.RedirectUri, code, request.State, issuer);
    }
}
