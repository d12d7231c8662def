using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>
/// The authorization endpoint (RFC 6749 §3.1, OAuth 2.1 §4.1.1): checks the request, has the user sign in through
/// the configured scheme, then shows the consent page.
/// </summary>
internal sealed class AuthorizeEndpoint(
    AuthorizationRequestValidator validator,
    IPendingAuthorizationStore pending,
    IClientStore clients,
    ConsentPrompt consentPage,
    AuthorizationCodes codes,
    PendingShares shares,
    ServerUris uris,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    ILogger<AuthorizeEndpoint> logger)
{
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(10);

    public async Task HandleAsync(HttpContext context)
    {
        if (!OAuthParameters.TryFromQuery(context.Request.Query, out var parameters, out var parameterError))
        {
            Log.AuthorizationRefused(logger, null, parameterError.Error, parameterError.Description);
            await HtmlPage.WriteErrorAsync(context, parameterError);
            return;
        }

        var (request, pageError, redirectError, redirectUri, state) = await validator.ValidateAsync(context, parameters);
        if (pageError is not null)
        {
            Log.AuthorizationRefused(logger, Log.Short(parameters["client_id"]), pageError.Error, pageError.Description);
            await HtmlPage.WriteErrorAsync(context, pageError);
            return;
        }

        if (redirectError is not null)
        {
            Log.AuthorizationRefused(logger, Log.Short(parameters["client_id"]), redirectError.Error, redirectError.Description);
            await RedirectErrorAsync(context, redirectUri!, redirectError, state);
            return;
        }

        var o = options.Value;
        var signIn = await context.AuthenticateAsync(McpOAuthDefaults.SignInCookieScheme);
        var user = SignedInUser.From(signIn.Principal, o.Tokens.AccessTokenClaims);
        // OpenID Connect Core §3.1.2.1: sign in again (the new sign-in replaces the cookie; a GET signs nobody out). The
        // request comes back without "login", or it would loop.
        var promptLogin = user is not null && request!.Prompt.Contains("login");
        if (promptLogin)
        {
            user = null;
        }

        if (user is null)
        {
            if (request!.Prompt.Contains("none"))
            {
                await RedirectErrorAsync(context, request.RedirectUri, OAuthError.LoginRequired("The user is not signed in, and prompt=none forbids asking."), request.State);
                return;
            }

            // The sign-in cookie's challenge decides how the user signs in (Identity/SignInCookieEvents); a remote provider
            // is asked to sign in again by OpenID Connect's own parameter.
            var properties = new AuthenticationProperties { RedirectUri = ReturnUrl(context, dropLoginPrompt: promptLogin) };
            if (promptLogin)
            {
                properties.Parameters["prompt"] = "login";
            }

            await context.ChallengeAsync(McpOAuthDefaults.SignInCookieScheme, properties);
            return;
        }

        var approved = new ApprovedAuthorization(request!.Client.ClientId, request.RedirectUri, request.RedirectUriGiven, request.State, request.CodeChallenge, request.Scopes, request.Resources, request.DpopJkt);
        // prompt=consent asks whatever is remembered, so nothing is read: a consent may exist.
        var (remembered, consentFound) = request.Prompt.Contains("consent") ? (false, true) : await codes.IsRememberedAsync(approved, user.Subject, context.RequestAborted);
        if (remembered)
        {
            Log.ConsentRemembered(logger, user.Subject, request.Client.ClientId, string.Join(' ', request.Resources));
            await codes.RedirectWithCodeAsync(context, approved, user);
            return;
        }

        if (request.Prompt.Contains("none"))
        {
            await RedirectErrorAsync(context, request.RedirectUri, OAuthError.ConsentRequired("The user has not allowed this application this access yet, and prompt=none forbids asking."), request.State);
            return;
        }

        var expiresAt = time.GetUtcNow() + PendingLifetime;
        if (!await shares.TryAdmitAsync(context, user.Subject, expiresAt))
        {
            return;
        }

        // A signed-in user is going through this client's flow: keep it while the request can be decided, even when a
        // registration flood needs room (only a grant makes it "used"). Written with the request, in one round.
        var handle = OpaqueHandle.Create();
        var kept = clients.KeepWhileAuthorizingAsync(request.Client.ClientId, time.GetUtcNow() + PendingLifetime, context.RequestAborted);
        var stored = await Together.AwaitAsync(kept, pending.StoreAsync(handle, new PendingAuthorization
        {
            ClientId = request.Client.ClientId,
            RedirectUri = request.RedirectUri,
            RedirectUriGiven = request.RedirectUriGiven,
            State = request.State,
            CodeChallenge = request.CodeChallenge,
            Scopes = request.Scopes,
            Resources = request.Resources,
            Subject = user.Subject,
            ExpiresAt = expiresAt,
            AdmittedFrom = PendingShares.AddressKey(context),
            NoConsentBefore = !consentFound,
            DpopJkt = request.DpopJkt,
        }, context.RequestAborted));
        if (!stored)
        {
            shares.Release(user.Subject, PendingShares.AddressKey(context), expiresAt);
            context.Response.Headers.RetryAfter = "60";
            await HtmlPage.WriteErrorAsync(context, OAuthError.TemporarilyUnavailable("The server is too busy to take this request; try again in a few minutes."));
            return;
        }

        context.User = signIn.Principal!;
        await consentPage.WriteAsync(context, handle, request.Client, request.RedirectUri, request.Scopes, request.Resources, user);
    }

    /// <summary>An error for the verified redirect URI: sent there at once only where that cannot make this server an open redirector.</summary>
    private async Task RedirectErrorAsync(HttpContext context, string redirectUri, OAuthError error, string? state)
    {
        if (RedirectUriRules.MayReceiveErrorsUnattended(redirectUri, options.Value.RedirectUris.AllowedSchemes))
        {
            AuthorizationResponse.RedirectWithError(context, redirectUri, error, state, uris.Issuer(context));
            return;
        }

        // RFC 9700 §4.11.2: with open registration any https URI can be registered, so an automatic error redirect would
        // make this server an open redirector. The user reads the error and decides.
        await HtmlPage.WriteErrorAsync(context, error, AuthorizationResponse.ErrorUri(redirectUri, error, state, uris.Issuer(context)));
    }

    private static string ReturnUrl(HttpContext context, bool dropLoginPrompt)
    {
        var path = context.Request.PathBase + context.Request.Path;
        if (!dropLoginPrompt)
        {
            return (path + context.Request.QueryString).ToString();
        }

        var query = new QueryBuilder();
        foreach (var (key, values) in context.Request.Query)
        {
            if (key == "prompt")
            {
                var rest = string.Join(' ', values.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "login"));
                if (rest.Length > 0)
                {
                    query.Add(key, rest);
                }

                continue;
            }

            foreach (var value in values)
            {
                query.Add(key, value ?? "");
            }
        }

        return (path + query.ToQueryString()).ToString();
    }
}
