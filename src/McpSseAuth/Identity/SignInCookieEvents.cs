using McpSseAuth.Stores;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Identity;

/// <summary>
/// Refuses a sign-in cookie issued before its user was signed out everywhere (<see cref="IMcpUserAccess.RemoveUserAsync"/>),
/// and deletes it: the user meets the login page again.
/// </summary>
internal sealed class SignInCookieEvents(IUserSignOuts signOuts, ILogger<SignInCookieEvents> logger) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        if (SignedInUser.From(context.Principal) is not { } user
            || await signOuts.FindAsync(user.Subject, context.HttpContext.RequestAborted) is not { } signedOutAt)
        {
            return;
        }

        // A cookie without an issue time cannot show it is newer.
        if (context.Properties.IssuedUtc is not { } issued || issued <= signedOutAt)
        {
            Log.SignInEnded(logger, user.Subject);
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
        }
    }
}
