using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Validation;

/// <summary>
/// The identity a request to an MCP endpoint is given: its token's claims (<see cref="SharedTokenIdentity"/>), shared until
/// this request changes them — a claims transformation, a handler adding a claim — and copied then, so the change stays this
/// request's. Reading costs no copy: a legacy SSE stream holds its request's identity for its whole life, and eleven
/// claims copied per request were a fifth of what an authenticated stream held beyond an unauthenticated one. The claims
/// read before a change are the shared ones (their <see cref="Claim.Subject"/> is the token's identity); removing one of
/// them removes this request's copy.
/// </summary>
internal sealed class RequestIdentity : CaseSensitiveClaimsIdentity
{
    private readonly SharedTokenIdentity _token;

    // Each shared claim's copy, once this request changed its claims.
    private Dictionary<Claim, Claim>? _copies;

    public RequestIdentity(SharedTokenIdentity token)
        : base(token.AuthenticationType, token.NameClaimType, token.RoleClaimType)
    {
        _token = token;
        Label = token.Label;
    }

    public override IEnumerable<Claim> Claims => _copies is null ? _token.Claims : base.Claims;

    public override Claim? FindFirst(string type) => _copies is null ? _token.FindFirst(type) : base.FindFirst(type);

    public override void AddClaim(Claim claim)
    {
        Copy();
        base.AddClaim(claim);
    }

    public override void AddClaims(IEnumerable<Claim?> claims)
    {
        Copy();
        base.AddClaims(claims);
    }

    public override void RemoveClaim(Claim? claim)
    {
        Copy();
        base.RemoveClaim(OwnCopy(claim));
    }

    public override bool TryRemoveClaim(Claim? claim)
    {
        Copy();
        return base.TryRemoveClaim(OwnCopy(claim));
    }

    public override ClaimsIdentity Clone()
        => _copies is null
            ? new RequestIdentity(_token)
            : new CaseSensitiveClaimsIdentity(base.Claims, AuthenticationType, NameClaimType, RoleClaimType) { Label = Label };

    public override void WriteTo(BinaryWriter writer)
    {
        Copy();
        base.WriteTo(writer);
    }

    private void Copy()
    {
        if (_copies is not null)
        {
            return;
        }

        _copies = new Dictionary<Claim, Claim>(ReferenceEqualityComparer.Instance);
        foreach (var shared in _token.Claims)
        {
            var copy = shared.Clone(this);
            _copies[shared] = copy;
            base.AddClaim(copy);
        }
    }

    private Claim? OwnCopy(Claim? claim) => claim is not null && _copies!.TryGetValue(claim, out var copy) ? copy : claim;
}
