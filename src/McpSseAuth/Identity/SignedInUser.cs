using System.Security.Claims;
using McpSseAuth.Stores;

namespace McpSseAuth.Identity;

/// <summary>
/// The seam between sign-in and the authorization server: whoever signed the user in (the built-in login page or
/// any remote scheme) leaves a principal in the <see cref="McpOAuthDefaults.SignInCookieScheme"/> cookie; this turns
/// it into the subject that tokens are issued for.
/// </summary>
internal static class SignedInUser
{
    public const string SubjectClaim = "sub";
    public const string NameClaim = "name";

    public static ClaimsPrincipal CreateLocal(McpOAuthUser user)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(SubjectClaim, user.UserName),
                new Claim(NameClaim, user.DisplayName ?? user.UserName),
                new Claim("amr", "pwd"),
            ],
            McpOAuthDefaults.SignInCookieScheme, NameClaim, "role");
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The stable subject: <c>sub</c>, else the name identifier of the signing-in scheme.</summary>
    public static GrantSubject? From(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var subject = principal.FindFirst(SubjectClaim)?.Value ?? principal.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (string.IsNullOrEmpty(subject))
        {
            return null;
        }

        var name = principal.FindFirst(NameClaim)?.Value ?? principal.FindFirst(ClaimTypes.Name)?.Value;
        return new GrantSubject(subject, name);
    }
}
