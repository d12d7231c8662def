using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Users;

/// <summary>
/// What an upstream user passes to get in, however they come — an interactive sign-in through a remote scheme or an
/// enterprise provider's identity assertion grant: the access rules as configured now, the host's
/// <see cref="McpOAuthEvents.OnSigningIn"/>, then, remembered as signed in now, the user's status like any user's.
/// </summary>
internal static class UpstreamAdmission
{
    /// <summary>Null when the user may come in; else why not, and whether it was the user's status (not the rules) that said no.</summary>
    public static async ValueTask<(string Reason, bool ByStatus)?> RefusalAsync(HttpContext context, UserStatus users, UpstreamIdentity user, ClaimsPrincipal principal, string scheme)
    {
        var refusal = AccessRuleCheck.Refusal(users.Current.SignIn.AccessRules, user);
        if (refusal is null)
        {
            var signingIn = new SigningInContext(context, scheme, principal, user.Subject);
            await users.Current.Events.SigningIn(signingIn);
            refusal = signingIn.RefusalReason;
        }

        if (refusal is not null)
        {
            return (refusal, false);
        }

        // Remembered as signed in now (what the access rules are checked against later), then asked about like any user.
        await users.RememberUpstreamAsync(user, context.RequestAborted);
        return await users.RefusalAsync(user.Subject, context.RequestAborted) is { } turnedAway ? (turnedAway, true) : null;
    }
}
