using System.Security.Claims;
using McpSseAuth.Grants;
using McpSseAuth.Identity;

namespace McpSseAuth.Users;

/// <summary>
/// The seam between sign-in and the authorization server: whoever signed the user in (the built-in login page or
/// a remote scheme through <see cref="ExternalSignIn"/>) leaves a principal in the <see cref="McpOAuthDefaults.SignInCookieScheme"/>
/// cookie; this turns it into the subject that tokens are issued for, with the claims access tokens carry.
/// </summary>
internal static class SignedInUser
{
    public const string SubjectClaim = "sub";
    public const string NameClaim = "name";

    /// <summary>The upstream issuer and the scheme used, kept in the sign-in cookie for pages and token refresh.</summary>
    public const string IdentityProviderClaim = "idp";
    public const string SchemeClaim = "idp_scheme";

    /// <summary>Claims an access token sets itself; configuration cannot copy a user's claim over them.</summary>
    public static readonly HashSet<string> ReservedClaims = new(StringComparer.Ordinal)
    {
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "gid", "cnf", "act", "may_act", "azp", "typ", "auth_time", "acr", "amr",
    };

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

    /// <summary>
    /// The principal kept for an upstream user: the derived subject, name and e-mail under their JWT names, where they
    /// came from, and the upstream claims listed in <see cref="McpOAuthTokenOptions.AccessTokenClaims"/>.
    /// </summary>
    public static ClaimsPrincipal CreateExternal(UpstreamIdentity user, ClaimsPrincipal upstream, ISet<string> carried)
    {
        var claims = new List<Claim>
        {
            new(SubjectClaim, user.Subject),
            new(IdentityProviderClaim, user.Issuer),
            new(SchemeClaim, user.Scheme),
            new("amr", "ext"),
        };
        if (user.Name is not null)
        {
            claims.Add(new Claim(NameClaim, user.Name));
        }

        if (user.Email is not null)
        {
            claims.Add(new Claim("email", user.Email));
            claims.Add(new Claim("email_verified", user.EmailVerified ? "true" : "false"));
        }

        var present = claims.Select(c => c.Type).ToHashSet(StringComparer.Ordinal);
        foreach (var type in carried.Where(t => !present.Contains(t) && !ReservedClaims.Contains(t)))
        {
            claims.AddRange(upstream.FindAll(type).Select(c => new Claim(type, c.Value)));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, McpOAuthDefaults.SignInCookieScheme, NameClaim, "role"));
    }

    /// <summary>The user's identifier as a signed-in principal carries it (<c>sub</c>, else the name identifier); null when none.</summary>
    public static string? SubjectOf(ClaimsPrincipal principal)
        => principal.FindFirst(SubjectClaim)?.Value ?? principal.FindFirst(ClaimTypes.NameIdentifier)?.Value;

    /// <summary>The stable subject (<c>sub</c>, else the name identifier), its name, and the claims listed in <paramref name="carried"/>.</summary>
    public static GrantSubject? From(ClaimsPrincipal? principal, ISet<string>? carried = null)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var subject = SubjectOf(principal);
        if (string.IsNullOrEmpty(subject))
        {
            return null;
        }

        var name = principal.FindFirst(NameClaim)?.Value ?? principal.FindFirst(ClaimTypes.Name)?.Value;
        Dictionary<string, string[]>? claims = null;
        if (carried is not null)
        {
            claims = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var type in carried.Where(t => !ReservedClaims.Contains(t)))
            {
                var values = principal.FindAll(type).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToArray();
                if (values.Length > 0)
                {
                    claims[type] = values;
                }
            }
        }

        return new GrantSubject(subject, name, claims);
    }
}
