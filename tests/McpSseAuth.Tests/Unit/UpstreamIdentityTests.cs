using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using McpSseAuth.Users;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// Who a remote scheme says the user is: claims read under OpenID Connect and ASP.NET Core names alike, and a stable
/// subject derived from the upstream issuer and subject, never from the e-mail address.
/// </summary>
public sealed class UpstreamIdentityTests
{
    private const string Issuer = "https://idp.example.com";

    private static ClaimsPrincipal Principal(string? issuer, params (string Type, string Value)[] claims)
        => new(new ClaimsIdentity(claims.Select(c => issuer is null ? new Claim(c.Type, c.Value) : new Claim(c.Type, c.Value, ClaimValueTypes.String, issuer)), "test"));

    private static UpstreamIdentity Read(ClaimsPrincipal principal, string scheme = "corp", McpOAuthAccessRules? rules = null)
        => UpstreamIdentity.From(principal, scheme, rules ?? new McpOAuthAccessRules())
           ?? throw new InvalidOperationException("No identity read.");

    [Fact]
    public void From_OpenIdConnectClaimNames_ReadsEverything()
    {
        var user = Read(Principal(
            Issuer,
            ("sub", "248289761001"),
            ("name", "Jane Doe"),
            ("email", "jane@example.com"),
            ("email_verified", "true"),
            ("hd", "example.com"),
            ("groups", "staff"),
            ("groups", "admins"),
            ("roles", "mcp-user")));

        Assert.Equal("corp", user.Scheme);
        Assert.Equal(Issuer, user.Issuer);
        Assert.Equal("248289761001", user.UpstreamSubject);
        Assert.Equal("Jane Doe", user.Name);
        Assert.Equal("jane@example.com", user.Email);
        Assert.True(user.EmailVerified);
        Assert.Equal("example.com", user.HostedDomain);
        Assert.Equal(["staff", "admins"], user.Groups);
        Assert.Equal(["mcp-user"], user.Roles);
        Assert.Equal(Issuer + "|248289761001", user.IssuerAndSubject);
    }

    [Fact]
    public void From_AspNetCoreMappedClaimNames_ReadsSubjectNameEmailAndRoles()
    {
        var user = Read(Principal(
            Issuer,
            (ClaimTypes.NameIdentifier, "u-7"),
            (ClaimTypes.Name, "Jane Doe"),
            (ClaimTypes.Email, "jane@example.com"),
            (ClaimTypes.Role, "mcp-user")));

        Assert.Equal("u-7", user.UpstreamSubject);
        Assert.Equal("Jane Doe", user.Name);
        Assert.Equal("jane@example.com", user.Email);
        Assert.Equal(["mcp-user"], user.Roles);
    }

    [Fact]
    public void From_BothSubAndNameIdentifier_PrefersSub()
    {
        var user = Read(Principal(Issuer, (ClaimTypes.NameIdentifier, "mapped"), ("sub", "oidc")));

        Assert.Equal("oidc", user.UpstreamSubject);
    }

    [Fact]
    public void From_NoName_JoinsGivenAndFamilyName()
    {
        Assert.Equal("Jane Doe", Read(Principal(Issuer, ("sub", "1"), ("given_name", "Jane"), ("family_name", "Doe"))).Name);
        Assert.Equal("Jane Doe", Read(Principal(Issuer, ("sub", "1"), (ClaimTypes.GivenName, "Jane"), (ClaimTypes.Surname, "Doe"))).Name);
        Assert.Equal("Jane", Read(Principal(Issuer, ("sub", "1"), ("given_name", "Jane"))).Name);
        Assert.Null(Read(Principal(Issuer, ("sub", "1"))).Name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("false")]
    [InlineData("yes")]
    [InlineData("1")]
    public void From_EmailVerifiedAbsentOrNotTrue_IsNotVerified(string? verified)
    {
        var claims = new List<(string, string)> { ("sub", "1"), ("email", "jane@example.com") };
        if (verified is not null)
        {
            claims.Add(("email_verified", verified));
        }

        Assert.False(Read(Principal(Issuer, [.. claims])).EmailVerified);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("True")]
    public void From_EmailVerifiedTrue_IsVerified(string verified)
        => Assert.True(Read(Principal(Issuer, ("sub", "1"), ("email", "j@example.com"), ("email_verified", verified))).EmailVerified);

    [Fact]
    public void From_NoSubject_IsNull()
    {
        Assert.Null(UpstreamIdentity.From(Principal(Issuer, ("email", "jane@example.com")), "corp", new McpOAuthAccessRules()));
        Assert.Null(UpstreamIdentity.From(Principal(Issuer, ("sub", "")), "corp", new McpOAuthAccessRules()));
    }

    [Fact]
    public void From_ClaimWithDefaultIssuer_FallsBackToTheSchemeName()
    {
        // An OAuth scheme (GitHub...) has no issuer of its own: claims made without one carry LOCAL AUTHORITY.
        var user = Read(Principal(issuer: null, ("sub", "12345")), scheme: "github");

        Assert.Equal("scheme:github", user.Issuer);
        Assert.Equal("scheme:github|12345", user.IssuerAndSubject);
        Assert.Equal(UpstreamIdentity.SubjectFor("scheme:github", "12345"), user.Subject);
    }

    [Fact]
    public void From_ClaimIssuedUnderTheSchemeName_FallsBackToTheSchemeName()
    {
        // ASP.NET Core's OAuth handler issues claims under its ClaimsIssuer, which defaults to the scheme name.
        var user = Read(Principal(issuer: "github", ("sub", "12345")), scheme: "github");

        Assert.Equal("scheme:github", user.Issuer);
        Assert.Equal(UpstreamIdentity.SubjectFor("scheme:github", "12345"), user.Subject);
    }

    [Fact]
    public void From_GroupsAndRoles_ComeFromTheConfiguredClaimTypes_Distinct()
    {
        var rules = new McpOAuthAccessRules();
        rules.GroupClaimTypes.Clear();
        rules.GroupClaimTypes.Add("teams");
        var user = Read(Principal(Issuer, ("sub", "1"), ("groups", "ignored"), ("teams", "a"), ("teams", "a"), ("teams", "b"), ("role", "r1"), (ClaimTypes.Role, "r2")), rules: rules);

        Assert.Equal(["a", "b"], user.Groups);
        Assert.Equal(["r1", "r2"], user.Roles);
    }

    [Fact]
    public void Subject_IsExtPrefixedBase64UrlSha256OfIssuerAndSubject()
    {
        var expected = "ext:" + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(Issuer + "\nu-1")));

        Assert.Equal(expected, UpstreamIdentity.SubjectFor(Issuer, "u-1"));
        Assert.Equal(expected, Read(Principal(Issuer, ("sub", "u-1"))).Subject);
    }

    [Fact]
    public void Subject_IsStable_AndRevealsNeitherIssuerNorSubject()
    {
        var first = Read(Principal(Issuer, ("sub", "u-1"), ("email", "jane@example.com")));
        var second = Read(Principal(Issuer, ("sub", "u-1"), ("email", "jane.new@example.com"), ("name", "Jane N.")));

        Assert.Equal(first.Subject, second.Subject);
        Assert.StartsWith(UpstreamIdentity.SubjectPrefix, first.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("u-1", first.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("idp.example.com", first.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("jane", first.Subject, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Subject_SameUpstreamSubjectAtAnotherIssuer_IsAnotherUser()
    {
        var here = Read(Principal(Issuer, ("sub", "u-1"), ("email", "jane@example.com")));
        var there = Read(Principal("https://other-idp.example.com", ("sub", "u-1"), ("email", "jane@example.com")));

        Assert.NotEqual(here.Subject, there.Subject);
    }
}
