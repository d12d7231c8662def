using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// The claims of a validated access token, made once and shared by every request that presents it
/// (<see cref="ValidatedTokenCache"/>): read-only, so that nothing one request does — not even through
/// <see cref="Claim.Subject"/> of a claim it was given — changes what the next request of that token sees. Requests get
/// a <see cref="RequestIdentity"/> over it, which they may change. The first claim of each type is indexed: every request
/// looks several up (its user, client and scopes: the guards, the SDK's session binding), and the base class's look-up
/// scans the claims and allocates a predicate each time.
/// </summary>
internal sealed class SharedTokenIdentity : CaseSensitiveClaimsIdentity
{
    private readonly Dictionary<string, Claim> _first = new(StringComparer.Ordinal);

    public SharedTokenIdentity(ClaimsIdentity validated)
        : base(validated.Claims, validated.AuthenticationType, validated.NameClaimType, validated.RoleClaimType)
    {
        Label = validated.Label;
        foreach (var claim in base.Claims)
        {
            _first.TryAdd(claim.Type, claim);
        }
    }

    /// <summary>The first claim of <paramref name="type"/>, compared ordinally as <see cref="CaseSensitiveClaimsIdentity"/> does.</summary>
    public override Claim? FindFirst(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return _first.GetValueOrDefault(type);
    }

    public override void AddClaim(Claim claim) => throw ReadOnly();

    public override void AddClaims(IEnumerable<Claim?> claims) => throw ReadOnly();

    public override void RemoveClaim(Claim? claim) => throw ReadOnly();

    public override bool TryRemoveClaim(Claim? claim) => false;

    private static InvalidOperationException ReadOnly()
        => new("These claims belong to a validated access token and are shared by all its requests. Change the request's own identity (HttpContext.User.Identity) instead.");
}
