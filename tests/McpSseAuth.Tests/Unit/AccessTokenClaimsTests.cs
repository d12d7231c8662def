using System.Security.Claims;
using System.Text.Json;
using McpSseAuth.Grants;
using McpSseAuth.Keys;
using McpSseAuth.Tokens;
using McpSseAuth.Users;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// Which claims of the signed-in user reach access tokens: <see cref="McpOAuthTokenOptions.AccessTokenClaims"/> (default name and
/// e-mail) taken from the sign-in principal by <see cref="SignedInUser"/>, multi-valued ones as JSON arrays, protocol claims never.
/// </summary>
public sealed class AccessTokenClaimsTests
{
    private const string Issuer = "https://mcp.example.com";
    private const string Audience = "https://mcp.example.com/mcp";

    private readonly McpOAuthOptions _options = new();
    private readonly AccessTokenIssuer _issuer;

    public AccessTokenClaimsTests()
    {
        var keys = new SigningKeys(Options.Create(_options), NullLogger<SigningKeys>.Instance);
        _issuer = new AccessTokenIssuer(keys, new FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero)), Options.Create(_options));
    }

    private JsonWebToken Issue(GrantSubject user, string grantId = "grant-1")
        => new(_issuer.Issue(Issuer, [Audience], user, "client-7", ["mcp:tools"], grantId).Token);

    private static JsonElement Payload(JsonWebToken token)
    {
        using var document = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(token.EncodedPayload));
        return document.RootElement.Clone();
    }

    private static ClaimsPrincipal Cookie(params (string Type, string Value)[] claims)
        => new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), McpOAuthDefaults.SignInCookieScheme));

    private static UpstreamIdentity Upstream(string? name = "Jane Doe", string? email = "jane@example.com", bool verified = true)
        => new("corp", "https://idp.example.com", "u-1", UpstreamIdentity.SubjectFor("https://idp.example.com", "u-1"), name, email, verified, null, [], []);

    [Fact]
    public void Defaults_CarryNameAndEmail()
        => Assert.Equal(new HashSet<string>(StringComparer.Ordinal) { "name", "email" }, _options.Tokens.AccessTokenClaims);

    [Fact]
    public void From_LocalUser_DefaultClaims_GiveNameInTheToken()
    {
        var principal = SignedInUser.CreateLocal(new McpOAuthUser { UserName = "alice", DisplayName = "Alice Liddell" });

        var subject = SignedInUser.From(principal, _options.Tokens.AccessTokenClaims)!;
        var payload = Payload(Issue(subject));

        Assert.Equal("alice", payload.GetProperty("sub").GetString());
        Assert.Equal("Alice Liddell", payload.GetProperty("name").GetString());
        Assert.False(payload.TryGetProperty("email", out _));
        Assert.False(payload.TryGetProperty("amr", out _));
    }

    [Fact]
    public void From_ClaimsNotListed_AreNotCarried()
    {
        var principal = Cookie(("sub", "u"), ("name", "U"), ("email", "u@example.com"), ("department", "R&D"));

        var subject = SignedInUser.From(principal, new HashSet<string>(StringComparer.Ordinal) { "department" })!;
        var payload = Payload(Issue(subject));

        Assert.Equal("R&D", payload.GetProperty("department").GetString());
        Assert.False(payload.TryGetProperty("name", out _));
        Assert.False(payload.TryGetProperty("email", out _));
    }

    [Fact]
    public void From_EmptyClaimList_GivesATokenWithSubjectOnly()
    {
        var subject = SignedInUser.From(Cookie(("sub", "u"), ("name", "U"), ("email", "u@example.com")), new HashSet<string>(StringComparer.Ordinal))!;
        var payload = Payload(Issue(subject));

        Assert.Equal("u", payload.GetProperty("sub").GetString());
        Assert.False(payload.TryGetProperty("name", out _));
        Assert.False(payload.TryGetProperty("email", out _));
    }

    [Fact]
    public void MultiValuedClaim_BecomesAJsonArray_SingleValueAString_DuplicatesDropped()
    {
        var principal = Cookie(("sub", "u"), ("groups", "staff"), ("groups", "admins"), ("groups", "staff"), ("team", "blue"));

        var subject = SignedInUser.From(principal, new HashSet<string>(StringComparer.Ordinal) { "groups", "team" })!;
        var payload = Payload(Issue(subject));

        var groups = payload.GetProperty("groups");
        Assert.Equal(JsonValueKind.Array, groups.ValueKind);
        Assert.Equal(["staff", "admins"], groups.EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(JsonValueKind.String, payload.GetProperty("team").ValueKind);
        Assert.Equal("blue", payload.GetProperty("team").GetString());
    }

    [Theory]
    [InlineData("sub")]
    [InlineData("iss")]
    [InlineData("aud")]
    [InlineData("scope")]
    [InlineData("client_id")]
    [InlineData("gid")]
    [InlineData("exp")]
    [InlineData("jti")]
    public void From_ReservedClaimInTheList_NeverOverridesTheTokensOwn(string reserved)
    {
        // A principal can carry anything (a remote scheme's claims); the list could be set without the validator in a test host.
        var principal = Cookie(("sub", "u"), (reserved, "forged"));

        var subject = SignedInUser.From(principal, new HashSet<string>(StringComparer.Ordinal) { reserved })!;
        var jwt = Issue(subject);

        Assert.False(subject.Claims!.ContainsKey(reserved));
        Assert.NotEqual("forged", Payload(jwt).GetProperty(reserved).ToString());
    }

    [Fact]
    public void ReservedClaims_CoverEveryClaimTheTokenSetsItself()
    {
        var jwt = Issue(new GrantSubject("u", null, new Dictionary<string, string[]>()));

        foreach (var property in Payload(jwt).EnumerateObject())
        {
            Assert.Contains(property.Name, SignedInUser.ReservedClaims);
        }
    }

    [Fact]
    public void From_NotAuthenticatedOrWithoutSubject_IsNull()
    {
        Assert.Null(SignedInUser.From(null));
        Assert.Null(SignedInUser.From(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "u")]))));
        Assert.Null(SignedInUser.From(Cookie(("name", "No Subject"))));
        Assert.Null(SignedInUser.From(Cookie(("sub", ""))));
    }

    [Fact]
    public void From_NameIdentifier_IsTheSubjectWhenThereIsNoSub()
    {
        var subject = SignedInUser.From(Cookie((ClaimTypes.NameIdentifier, "mapped"), (ClaimTypes.Name, "Mapped Name")))!;

        Assert.Equal("mapped", subject.Subject);
        Assert.Equal("Mapped Name", subject.Name);
        Assert.Null(subject.Claims);
    }

    [Fact]
    public void CreateExternal_KeepsDerivedSubjectNameEmailAndProvenance()
    {
        var user = Upstream();
        var upstream = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "u-1"), new Claim("email", "jane@example.com")], "corp"));

        var principal = SignedInUser.CreateExternal(user, upstream, new HashSet<string>(StringComparer.Ordinal));

        Assert.Equal(user.Subject, principal.FindFirst("sub")!.Value);
        Assert.Equal("Jane Doe", principal.FindFirst("name")!.Value);
        Assert.Equal("jane@example.com", principal.FindFirst("email")!.Value);
        Assert.Equal("true", principal.FindFirst("email_verified")!.Value);
        Assert.Equal("https://idp.example.com", principal.FindFirst(SignedInUser.IdentityProviderClaim)!.Value);
        Assert.Equal("corp", principal.FindFirst(SignedInUser.SchemeClaim)!.Value);
        Assert.Equal("ext", principal.FindFirst("amr")!.Value);
        Assert.Equal(McpOAuthDefaults.SignInCookieScheme, principal.Identity!.AuthenticationType);
        Assert.Equal("Jane Doe", principal.Identity.Name);
        Assert.Single(principal.FindAll("sub"));
    }

    [Fact]
    public void CreateExternal_CarriesListedUpstreamClaims_ButNeitherReservedOnesNorDuplicatesOfItsOwn()
    {
        var upstream = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim("sub", "u-1"),
                new Claim("name", "Upstream Name"),
                new Claim("groups", "staff"),
                new Claim("groups", "admins"),
                new Claim("scope", "admin"),
                new Claim("department", "R&D"),
            ], "corp"));

        var principal = SignedInUser.CreateExternal(Upstream(), upstream, new HashSet<string>(StringComparer.Ordinal) { "groups", "scope", "name", "sub" });

        Assert.Equal(["staff", "admins"], principal.FindAll("groups").Select(c => c.Value));
        Assert.Empty(principal.FindAll("scope"));
        Assert.Empty(principal.FindAll("department"));
        Assert.Equal(["Jane Doe"], principal.FindAll("name").Select(c => c.Value));
        Assert.Equal([Upstream().Subject], principal.FindAll("sub").Select(c => c.Value));
    }

    [Fact]
    public void CreateExternal_UnverifiedEmail_IsMarkedUnverified_AndNoNameOrEmailWhenUnknown()
    {
        var upstream = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "u-1")], "corp"));

        var unverified = SignedInUser.CreateExternal(Upstream(verified: false), upstream, new HashSet<string>(StringComparer.Ordinal));
        var anonymous = SignedInUser.CreateExternal(Upstream(name: null, email: null), upstream, new HashSet<string>(StringComparer.Ordinal));

        Assert.Equal("false", unverified.FindFirst("email_verified")!.Value);
        Assert.Null(anonymous.FindFirst("name"));
        Assert.Null(anonymous.FindFirst("email"));
        Assert.Null(anonymous.FindFirst("email_verified"));
    }

    [Fact]
    public void ExternalUser_EndToEnd_TokenCarriesDerivedSubjectNameEmailAndListedGroups()
    {
        _options.Tokens.AccessTokenClaims.Add("groups");
        var upstream = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "u-1"), new Claim("groups", "staff"), new Claim("groups", "admins")], "corp"));
        var principal = SignedInUser.CreateExternal(Upstream(), upstream, _options.Tokens.AccessTokenClaims);

        var payload = Payload(Issue(SignedInUser.From(principal, _options.Tokens.AccessTokenClaims)!));

        Assert.Equal(Upstream().Subject, payload.GetProperty("sub").GetString());
        Assert.Equal("Jane Doe", payload.GetProperty("name").GetString());
        Assert.Equal("jane@example.com", payload.GetProperty("email").GetString());
        Assert.Equal(["staff", "admins"], payload.GetProperty("groups").EnumerateArray().Select(e => e.GetString()!));
        Assert.False(payload.TryGetProperty(SignedInUser.IdentityProviderClaim, out _));
        Assert.False(payload.TryGetProperty("email_verified", out _));
    }

    [Fact]
    public void GrantSubjectWithoutClaims_FallsBackToTheName()
    {
        // Grants stored before AccessTokenClaims existed carry a name only.
        var payload = Payload(Issue(new GrantSubject("u", "Old Name")));

        Assert.Equal("Old Name", payload.GetProperty("name").GetString());
    }
}
