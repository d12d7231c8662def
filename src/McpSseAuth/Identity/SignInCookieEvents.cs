using System.Globalization;
using McpSseAuth.Grants;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// Refuses a sign-in cookie made before its user was signed out everywhere (<see cref="IMcpUserAccess.RemoveUserAsync"/>),
/// and deletes it: the user meets the login page again. The cookie carries its own sign-in instant to the tick (the
/// handler's issue time is kept to the second, which would also refuse a new sign-in in the same second, in a loop).
/// </summary>
internal sealed class SignInCookieEvents(
    IUserSignOuts signOuts,
    UserStatus users,
    ExternalSignIn externalSignIn,
    IOptions<McpOAuthOptions> options,
    TimeProvider time,
    ILogger<SignInCookieEvents> logger) : CookieAuthenticationEvents
{
    private const string SignedInAtItem = ".mcp.signedInAt";

    /// <summary>
    /// An authorization request needs a sign-in. With one way to sign in (<see cref="McpOAuthSignInOptions.ChallengeScheme"/>, or
    /// one remote scheme and no local users) the user goes straight to the provider, not to a login page with one button;
    /// <c>prompt=login</c> in the challenge's parameters asks the provider to sign in again.
    /// </summary>
    public override Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context)
    {
        var o = options.Value;
        var direct = o.SignIn.ChallengeScheme ?? (o.Users.Count == 0 && o.SignIn.Schemes.Count == 1 ? o.SignIn.Schemes[0] : null);
        if (direct is null || context.Properties.RedirectUri is not { } returnUrl || !ReturnUrls.IsAuthorizationRequest(context.HttpContext, o, returnUrl))
        {
            return base.RedirectToLogin(context);
        }

        var anotherAccount = context.Properties.GetParameter<string>("prompt") == "login";
        return externalSignIn.ChallengeAsync(context.HttpContext, direct, returnUrl, anotherAccount);
    }

    public override Task SigningIn(CookieSigningInContext context)
    {
        context.Properties.Items[SignedInAtItem] = time.GetUtcNow().UtcTicks.ToString(CultureInfo.InvariantCulture);
        return Task.CompletedTask;
    }

    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        if (SignedInUser.From(context.Principal) is not { } user)
        {
            return;
        }

        // A user who lost access is signed out here, and everything else they hold ends with it.
        if (!await users.EnforceAsync(user.Subject, context.HttpContext.RequestAborted))
        {
            Log.SignInEnded(logger, user.Subject);
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
            return;
        }

        if (await signOuts.FindAsync(user.Subject, context.HttpContext.RequestAborted) is not { } signedOutAt)
        {
            return;
        }

        // A cookie that cannot show when it was made is older than the sign-out, as far as we know.
        var signedInAt = context.Properties.Items.TryGetValue(SignedInAtItem, out var ticks)
            && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            && value is >= 0 and <= 3155378975999999999
                ? new DateTimeOffset(value, TimeSpan.Zero)
                : DateTimeOffset.MinValue;
        if (signedInAt <= signedOutAt)
        {
            Log.SignInEnded(logger, user.Subject);
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
        }
    }
}
