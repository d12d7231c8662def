using System.Security.Claims;

namespace McpSseAuth.Sessions;

/// <summary>Who a relayed request runs as on the holder: the session's user, with the scopes of the token it was sent with (checked by the sender).</summary>
internal static class RelayedUser
{
    public static ClaimsPrincipal Of(ClaimsPrincipal opener, string? scope)
    {
        var identity = new ClaimsIdentity(
            opener.Claims.Where(c => c.Type != "scope"),
            opener.Identity?.AuthenticationType ?? "relayed",
            (opener.Identity as ClaimsIdentity)?.NameClaimType,
            (opener.Identity as ClaimsIdentity)?.RoleClaimType);
        if (scope is not null)
        {
            identity.AddClaim(new Claim("scope", scope));
        }

        return new ClaimsPrincipal(identity);
    }
}
