using System.Security.Claims;
using McpSseAuth.Validation;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// Requests of one access token share its claims (<see cref="RequestIdentity"/> over <see cref="SharedTokenIdentity"/>)
/// until one changes them: what one request does must never show in another's.
/// </summary>
public sealed class RequestIdentityTests
{
    private static SharedTokenIdentity Token() => new(new CaseSensitiveClaimsIdentity(
        [new Claim("sub", "alice"), new Claim("client_id", "app"), new Claim("scope", "mcp"), new Claim("role", "reader"), new Claim("name", "Alice")],
        "Bearer", "name", "role"));

    [Fact]
    public void ARequest_SeesTheTokensClaims_NameRolesAndCaseSensitiveLookups()
    {
        var identity = new RequestIdentity(Token());
        var user = new ClaimsPrincipal(identity);

        Assert.Equal(["sub", "client_id", "scope", "role", "name"], identity.Claims.Select(c => c.Type));
        Assert.True(identity.IsAuthenticated);
        Assert.Equal("Bearer", identity.AuthenticationType);
        Assert.Equal("Alice", identity.Name);
        Assert.True(user.IsInRole("reader"));
        Assert.Equal("alice", user.FindFirst("sub")?.Value);
        Assert.Null(user.FindFirst("SUB"));
        Assert.True(user.HasClaim("scope", "mcp"));
    }

    [Fact]
    public void ARequestThatChangesItsClaims_ChangesNeitherTheTokenNorAnotherRequest()
    {
        var token = Token();
        var first = new RequestIdentity(token);
        var second = new RequestIdentity(token);

        var clientId = first.FindFirst("client_id")!;
        first.AddClaim(new Claim("role", "admin"));
        first.RemoveClaim(clientId);
        Assert.True(first.TryRemoveClaim(first.FindFirst("scope")));
        first.AddClaims([new Claim("extra", "1")]);

        Assert.Equal(["sub", "role", "name", "role", "extra"], first.Claims.Select(c => c.Type));
        Assert.True(new ClaimsPrincipal(first).IsInRole("admin"));
        Assert.All(first.Claims, c => Assert.Same(first, c.Subject));
        Assert.Equal(["sub", "client_id", "scope", "role", "name"], second.Claims.Select(c => c.Type));
        Assert.False(new ClaimsPrincipal(second).IsInRole("admin"));
        Assert.Equal(["sub", "client_id", "scope", "role", "name"], new RequestIdentity(token).Claims.Select(c => c.Type));
    }

    [Fact]
    public void FindFirst_IsTheFirstClaimOfTheType_ComparedOrdinally_BeforeAndAfterAChange()
    {
        var token = new SharedTokenIdentity(new CaseSensitiveClaimsIdentity(
            [new Claim("aud", "a"), new Claim("Aud", "b"), new Claim("aud", "c")], "Bearer", "name", "role"));
        var identity = new RequestIdentity(token);

        Assert.Equal("a", identity.FindFirst("aud")?.Value);
        Assert.Equal("b", identity.FindFirst("Aud")?.Value);
        Assert.Null(identity.FindFirst("AUD"));
        Assert.Same(token.FindFirst("aud"), identity.FindFirst("aud"));

        identity.RemoveClaim(identity.FindFirst("aud"));
        Assert.Equal("c", identity.FindFirst("aud")?.Value);
        Assert.Same(identity, identity.FindFirst("aud")!.Subject);
        Assert.Equal("a", token.FindFirst("aud")?.Value);
        Assert.Equal("a", new RequestIdentity(token).FindFirst("aud")?.Value);
    }

    [Fact]
    public void TheSharedClaims_CannotBeChangedThroughAClaimsSubject()
    {
        var token = Token();
        var shared = new RequestIdentity(token).FindFirst("sub")!;

        Assert.Throws<InvalidOperationException>(() => shared.Subject!.AddClaim(new Claim("role", "admin")));
        Assert.Throws<InvalidOperationException>(() => shared.Subject!.AddClaims([new Claim("role", "admin")]));
        Assert.Throws<InvalidOperationException>(() => shared.Subject!.RemoveClaim(shared));
        Assert.False(shared.Subject!.TryRemoveClaim(shared));
        Assert.Equal(5, new RequestIdentity(token).Claims.Count());
    }

    [Fact]
    public void AClone_IsIndependentOfItsOriginal()
    {
        var token = Token();
        var original = new RequestIdentity(token);
        var untouchedClone = original.Clone();
        original.AddClaim(new Claim("extra", "1"));
        var changedClone = original.Clone();
        changedClone.AddClaim(new Claim("more", "2"));

        Assert.Equal(5, untouchedClone.Claims.Count());
        Assert.Equal(6, original.Claims.Count());
        Assert.Equal(7, changedClone.Claims.Count());
        Assert.Null(changedClone.FindFirst("SUB"));
        Assert.Equal("Alice", changedClone.Name);
    }
}
