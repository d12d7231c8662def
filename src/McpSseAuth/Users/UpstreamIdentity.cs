using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace McpSseAuth.Users;

/// <summary>
/// Who a remote scheme says the user is, read from the claim names of OpenID Connect and of ASP.NET Core's mappings
/// alike. The subject tokens are issued for is derived from the upstream issuer and subject, never from the e-mail
/// address: e-mail addresses change hands and are not unique across providers.
/// </summary>
internal sealed record UpstreamIdentity(
    string Scheme,
    string Issuer,
    string UpstreamSubject,
    string Subject,
    string? Name,
    string? Email,
    bool EmailVerified,
    string? HostedDomain,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Roles,
    bool EmailVerifiedSent = true)
{
    /// <summary>Prefix of subjects of upstream users; local user names may not contain ':'.</summary>
    public const string SubjectPrefix = "ext:";

    public static UpstreamIdentity? From(ClaimsPrincipal principal, string scheme, McpOAuthAccessRules rules)
    {
        var subjectClaim = principal.FindFirst("sub") ?? principal.FindFirst(ClaimTypes.NameIdentifier);
        if (subjectClaim is null || string.IsNullOrEmpty(subjectClaim.Value))
        {
            return null;
        }

        // OAuth schemes (GitHub, ...) have no issuer of their own: the claims carry the scheme name (the handler's default
        // ClaimsIssuer), or the default issuer.
        var issuer = string.IsNullOrEmpty(subjectClaim.Issuer) || subjectClaim.Issuer == ClaimsIdentity.DefaultIssuer ||
                     string.Equals(subjectClaim.Issuer, scheme, StringComparison.Ordinal)
            ? "scheme:" + scheme
            : subjectClaim.Issuer;
        var email = First(principal, "email", ClaimTypes.Email);
        var verified = First(principal, "email_verified");
        var given = First(principal, "given_name", ClaimTypes.GivenName);
        var family = First(principal, "family_name", ClaimTypes.Surname);
        var name = First(principal, "name", ClaimTypes.Name)
                   ?? (given is null && family is null ? null : string.Join(' ', new[] { given, family }.Where(n => n is not null)));
        return new UpstreamIdentity(
            scheme,
            issuer,
            subjectClaim.Value,
            SubjectFor(issuer, subjectClaim.Value),
            name,
            email,
            bool.TryParse(verified, out var isVerified) && isVerified,
            First(principal, "hd"),
            All(principal, rules.GroupClaimTypes),
            All(principal, rules.RoleClaimTypes),
            verified is not null);
    }

    /// <summary><c>ext:</c> + base64url(SHA-256(issuer, subject)): stable, collision-free, reveals neither.</summary>
    public static string SubjectFor(string issuer, string upstreamSubject)
    {
        var bytes = Encoding.UTF8.GetBytes(issuer + "\n" + upstreamSubject);
        return SubjectPrefix + Base64Url.EncodeToString(SHA256.HashData(bytes));
    }

    /// <summary>The form <see cref="McpOAuthAccessRules.AllowedUsers"/> accepts besides an e-mail address.</summary>
    public string IssuerAndSubject => Issuer + "|" + UpstreamSubject;

    private static string? First(ClaimsPrincipal principal, params string[] types)
        => types.Select(t => principal.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    private static string[] All(ClaimsPrincipal principal, IEnumerable<string> types)
        => [.. types.SelectMany(t => principal.FindAll(t)).Select(c => c.Value).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal)];
}
