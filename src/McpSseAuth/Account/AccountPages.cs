using System.Globalization;
using System.Security.Claims;
using System.Text;
using McpSseAuth.Http;
using McpSseAuth.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Account;

/// <summary>What the signed-in user's own pages share: the sign-in requirement and the navigation between them.</summary>
internal static class AccountPages
{
    /// <summary>The signed-in user, or null after sending the browser to sign in and come back to this page.</summary>
    public static async Task<ClaimsPrincipal?> SignedInOrChallengeAsync(HttpContext context)
    {
        var signIn = await context.AuthenticateAsync(McpOAuthDefaults.SignInCookieScheme);
        if (SignedInUser.From(signIn.Principal) is null)
        {
            await context.ChallengeAsync(McpOAuthDefaults.SignInCookieScheme, new AuthenticationProperties
            {
                RedirectUri = (context.Request.PathBase + context.Request.Path).ToUriComponent(),
            });
            return null;
        }

        // Anti-forgery tokens are bound to this user.
        context.User = signIn.Principal!;
        return signIn.Principal;
    }

    public static string Navigation(HttpContext context, McpOAuthOptions options, ClaimsPrincipal user)
    {
        var pathBase = context.Request.PathBase;
        var name = user.FindFirst(SignedInUser.NameClaim)?.Value ?? user.FindFirst("email")?.Value ?? user.FindFirst(SignedInUser.SubjectClaim)?.Value;
        var nav = new StringBuilder("<nav class=\"muted\">Signed in as <strong>").Append(HtmlPage.Encode(name)).Append("</strong> · ")
            .Append("<a href=\"").Append(HtmlPage.Encode((pathBase + options.Paths.ConnectedApps).ToUriComponent())).Append("\">Connected apps</a> · ");
        if (options.ServiceTokens.Count > 0)
        {
            nav.Append("<a href=\"").Append(HtmlPage.Encode((pathBase + options.Paths.ServiceTokens).ToUriComponent())).Append("\">Service tokens</a> · ");
        }

        return nav.Append("<a href=\"").Append(HtmlPage.Encode((pathBase + options.Paths.Logout).ToUriComponent())).Append("\">Sign out</a></nav>").ToString();
    }

    /// <summary>The page after a sign-in that was not part of an authorization request.</summary>
    public static Task WriteSignedInAsync(HttpContext context, McpOAuthOptions options)
        => HtmlPage.WriteAsync(context, 200, "Signed in",
            "<p>You are signed in. Return to the application to continue, or see your <a href=\"" +
            HtmlPage.Encode((context.Request.PathBase + options.Paths.ConnectedApps).ToUriComponent()) + "\">connected apps</a>.</p>");

    public static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
