using McpSseAuth.Pages;
using System.Globalization;
using System.Security.Claims;
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

    public static AccountNavView Navigation(HttpContext context, McpOAuthOptions options, ClaimsPrincipal user)
    {
        var pathBase = context.Request.PathBase;
        var name = user.FindFirst(SignedInUser.NameClaim)?.Value ?? user.FindFirst("email")?.Value ?? user.FindFirst(SignedInUser.SubjectClaim)?.Value ?? "";
        return new AccountNavView(
            name,
            (pathBase + options.Paths.ConnectedApps).ToUriComponent(),
            options.ServiceTokens.Count > 0 ? (pathBase + options.Paths.ServiceTokens).ToUriComponent() : null,
            (pathBase + options.Paths.Logout).ToUriComponent());
    }

    /// <summary>The page after a sign-in that was not part of an authorization request.</summary>
    public static Task WriteSignedInAsync(HttpContext context, McpOAuthOptions options)
        => HtmlPage.WriteMessageAsync(context, 200, texts => new MessageView(texts.SignedInTitle, null,
        [
            new(Sentences.Fill(texts.SignedIn, Sentences.Link((context.Request.PathBase + options.Paths.ConnectedApps).ToUriComponent(), texts.ConnectedAppsTitle))),
        ]));

    public static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
