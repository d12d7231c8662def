using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// The claims of a validated access token, made once and shared by every request that presents it
/// (<see cref="ValidatedTokenCache"/>): read-only, so that nothing one request does — not even through
/// <see cref="Claim.Subject"/> of a claim it was given — changes what the next request of that token sees. Requests get
/// a <see cref="RequestIdentity"/> over it, which they may change.
/// </summary>
internal sealed class SharedTokenIdentity : CaseSensitiveClaimsIdentity
{
    public SharedTokenIdentity(ClaimsIdentity validated)
        : base(validated.Claims, validated.AuthenticationType, validated.NameClaimType, validated.RoleClaimType)
    {
        Label = validated.Label;
    }

    public override void AddClaim(Claim claim) => throw ReadOnly();

    public override void AddClaims(IEnumerable<Claim?> claims) => throw ReadOnly();

    public override void RemoveClaim(Claim? claim) => throw ReadOnly();

    public override bool TryRemoveClaim(Claim? claim) => false;

    private static InvalidOperationException ReadOnly()
        => new("These claims belong to a validated access token and are shared by all its requests. Change the request's own identity (HttpContext.User.Identity) instead.");
}
