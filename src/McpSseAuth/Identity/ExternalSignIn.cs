using McpSseAuth.Pages;
using McpSseAuth.Authorization;
using McpSseAuth.Http;
using McpSseAuth.Resources;
using McpSseAuth.Users;
using McpSseAuth.UserTokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// Sign-in through a remote scheme (OpenID Connect, Google, GitHub...): sends the user to the provider, and on return
/// reads the result from the short-lived external cookie, applies the access rules and <see cref="McpOAuthEvents.OnSigningIn"/>,
/// keeps the upstream tokens encrypted, and signs the user in to <see cref="McpOAuthDefaults.SignInCookieScheme"/> as a
/// stable subject. A refused user sees why, and the application can be told <c>access_denied</c>.
/// </summary>
internal sealed class ExternalSignIn(
    AuthorizationRequestValidator validator,
    UpstreamTokenStore upstreamTokens,
    UserStatus users,
    ServerUris uris,
    IOptions<McpOAuthOptions> options,
    Telemetry.SecurityAudit audit,
    UserDirectory directory)
{
    public const string SchemeItem = "mcp.scheme";
    public const string ReturnUrlItem = "mcp.returnUrl";

    public static PathString CallbackPath(McpOAuthOptions options) => options.Paths.Login.Add("/callback");

    /// <summary>
    /// Sends the user to the provider; <paramref name="returnUrl"/> has been checked by <see cref="ReturnUrls"/>.
    /// <paramref name="anotherAccount"/> asks the provider to sign in again (<c>prompt=login</c>, which the OpenID Connect and
    /// Google handlers pass on) rather than reuse its session: after a refusal, the user wants to pick another account.
    /// </summary>
    public Task ChallengeAsync(HttpContext context, string scheme, string returnUrl, bool anotherAccount = false)
    {
        var properties = new AuthenticationProperties
        {
            RedirectUri = (context.Request.PathBase + CallbackPath(options.Value)).ToUriComponent(),
        };
        properties.Items[SchemeItem] = scheme;
        properties.Items[ReturnUrlItem] = returnUrl;
        if (anotherAccount)
        {
            properties.Parameters["prompt"] = "login";
        }

        return context.ChallengeAsync(scheme, properties);
    }

    public async Task HandleCallbackAsync(HttpContext context)
    {
        var o = options.Value;
        var result = await context.AuthenticateAsync(McpOAuthDefaults.ExternalCookieScheme);
        // Read once: the external cookie only carries the upstream answer from the provider's callback to here.
        await context.SignOutAsync(McpOAuthDefaults.ExternalCookieScheme);

        if (!result.Succeeded || result.Principal is null ||
            result.Properties?.Items.TryGetValue(SchemeItem, out var scheme) != true || scheme is null ||
            !o.SignIn.Schemes.Contains(scheme, StringComparer.Ordinal))
        {
            await HtmlPage.WriteErrorAsync(context, OAuthError.InvalidRequest("This sign-in has expired or did not start here. Return to the application and start again."));
            return;
        }

        var returnUrl = result.Properties.Items.TryGetValue(ReturnUrlItem, out var r) && r is not null && ReturnUrls.IsSafe(context, o, r) ? r : "";
        // The access rules as configured now: a reload applies without a restart.
        var rules = users.Current.SignIn.AccessRules;
        var user = UpstreamIdentity.From(result.Principal, scheme, rules);
        if (user is null)
        {
            await audit.SignInRefusedAsync(context, scheme, null, "the provider returned no subject");
            await WriteRefusedAsync(context, scheme, returnUrl, "Your identity provider did not say who you are (no subject claim). Ask the server's administrator to check the sign-in configuration.");
            return;
        }

        if (await UpstreamAdmission.RefusalAsync(context, users, user, result.Principal, scheme) is { } refused)
        {
            await audit.SignInRefusedAsync(context, scheme, user.Subject, refused.Reason);
            // The rules' reasons are the user's to read; the status's (the host's hooks) are not said.
            await WriteRefusedAsync(context, scheme, returnUrl, refused.ByStatus ? "You may not sign in to this server. Ask its administrator." : refused.Reason);
            return;
        }

        await upstreamTokens.SaveAsync(user.Subject, scheme, result.Properties, context.RequestAborted);
        await context.SignInAsync(McpOAuthDefaults.SignInCookieScheme, SignedInUser.CreateExternal(user, result.Principal, o.Tokens.AccessTokenClaims));
        await audit.SignedInAsync(context, scheme, user.Subject, user.Subject);
        await directory.NoteSignInAsync(user.Subject, user.Email ?? user.Name ?? user.IssuerAndSubject, scheme, context.RequestAborted);

        if (returnUrl.Length == 0)
        {
            await Account.AccountPages.WriteSignedInAsync(context, o);
            return;
        }

        context.Response.Redirect(returnUrl);
    }

    /// <summary>
    /// A 403 page that says why. When the sign-in was for an authorization request, a link takes <c>access_denied</c>
    /// back to the application (RFC 6749 §4.1.2.1) so it stops waiting; the user follows it after reading the reason.
    /// </summary>
    private async Task WriteRefusedAsync(HttpContext context, string scheme, string returnUrl, string reason)
    {
        string? back = null;
        var queryStart = returnUrl.IndexOf('?', StringComparison.Ordinal);
        if (queryStart >= 0 && OAuthParameters.TryFromQuery(new QueryCollection(QueryHelpers.ParseQuery(returnUrl[queryStart..])), out var parameters, out _))
        {
            var request = (await validator.ValidateAsync(context, parameters)).Request;
            if (request is not null)
            {
                back = AuthorizationResponse.ErrorUri(request.RedirectUri, OAuthError.AccessDenied("The user is not allowed to use this server."), request.State, uris.Issuer(context));
            }
        }

        var anotherAccount = QueryHelpers.AddQueryString((context.Request.PathBase + options.Value.Paths.Login).ToUriComponent(), new Dictionary<string, string?>
        {
            ["provider"] = scheme,
            ["prompt"] = "login",
            ["ReturnUrl"] = returnUrl.Length == 0 ? null : returnUrl,
        });
        await HtmlPage.WriteMessageAsync(context, StatusCodes.Status403Forbidden, texts =>
        {
            var lines = new List<MessageLine> { new(Sentences.Plain(texts.NotSignedIn), "muted") };
            if (back is not null && Uri.TryCreate(back, UriKind.Absolute, out var target))
            {
                lines.Add(new(Sentences.ExternalLink(back, Sentences.Format(texts.ReturnToApplication, HtmlForm.RedirectHost(target)))));
            }

            lines.Add(new(Sentences.Link(anotherAccount, texts.SignInWithAnotherAccount)));
            return new MessageView(texts.AccessDeniedTitle, reason, lines);
        });
    }
}

/// <summary>Where the login pages may send the user back to: only this server's authorization endpoint and account pages.</summary>
internal static class ReturnUrls
{
    /// <summary>
    /// Never an open redirector. Printable ASCII only, as the sign-in challenge builds it: a posted CR/LF would be
    /// written into the Location header.
    /// </summary>
    public static bool IsSafe(HttpContext context, McpOAuthOptions options, string returnUrl)
    {
        if (!Clients.RedirectUriRules.IsPrintableAscii(returnUrl))
        {
            return false;
        }

        var pathBase = context.Request.PathBase;
        return IsAuthorizationRequest(context, options, returnUrl) ||
               returnUrl == (pathBase + options.Paths.ConnectedApps).ToUriComponent() ||
               returnUrl == (pathBase + options.Paths.ServiceTokens).ToUriComponent() ||
               (options.Operators.Access.HasRules && returnUrl == (pathBase + options.Paths.Operator).ToUriComponent());
    }

    /// <summary>Whether the sign-in is for a request to this server's authorization endpoint.</summary>
    public static bool IsAuthorizationRequest(HttpContext context, McpOAuthOptions options, string returnUrl)
        => returnUrl.StartsWith((context.Request.PathBase + options.Paths.Authorization).ToUriComponent() + "?", StringComparison.Ordinal);
}
