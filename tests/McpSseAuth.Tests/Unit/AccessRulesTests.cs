using McpSseAuth.Users;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// <see cref="McpOAuthAccessRules"/> as <see cref="AccessRuleCheck"/> applies them: identity lists are alternatives,
/// groups and roles apply on top, and e-mail rules count verified addresses only unless told otherwise.
/// </summary>
public sealed class AccessRulesTests
{
    private const string Issuer = "https://idp.example.com";

    private static UpstreamIdentity User(
        string? email = "alice@example.com",
        bool verified = true,
        string? hostedDomain = null,
        string upstreamSubject = "u-1",
        string[]? groups = null,
        string[]? roles = null)
        => new(
            "corp",
            Issuer,
            upstreamSubject,
            UpstreamIdentity.SubjectFor(Issuer, upstreamSubject),
            "Alice",
            email,
            verified,
            hostedDomain,
            groups ?? [],
            roles ?? []);

    private static McpOAuthAccessRules Rules(Action<McpOAuthAccessRules> configure)
    {
        var rules = new McpOAuthAccessRules();
        configure(rules);
        return rules;
    }

    [Fact]
    public void NoRules_LetEveryUpstreamUserIn_EvenWithoutEmail()
    {
        var rules = new McpOAuthAccessRules();

        Assert.False(rules.HasRules);
        Assert.Null(AccessRuleCheck.Refusal(rules, User()));
        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: null, verified: false)));
    }

    [Fact]
    public void HasRules_IsTrueForEachKindOfRule()
    {
        Assert.True(Rules(r => r.AllowedEmailDomains.Add("example.com")).HasRules);
        Assert.True(Rules(r => r.AllowedHostedDomains.Add("example.com")).HasRules);
        Assert.True(Rules(r => r.AllowedUsers.Add("a@example.com")).HasRules);
        Assert.True(Rules(r => r.RequiredGroups.Add("staff")).HasRules);
        Assert.True(Rules(r => r.RequiredRoles.Add("admin")).HasRules);
    }

    [Theory]
    [InlineData("alice@example.com")]
    [InlineData("Alice@EXAMPLE.com")]
    public void EmailDomain_VerifiedAddressInTheDomain_IsLetIn_CaseInsensitive(string email)
    {
        var rules = Rules(r => r.AllowedEmailDomains.Add("example.com"));

        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: email)));
    }

    [Theory]
    [InlineData("alice@other.com")]
    [InlineData("alice@sub.example.com")]
    [InlineData("alice@example.com.evil.com")]
    [InlineData("example.com@evil.com")]
    public void EmailDomain_AnotherDomainOrASubdomain_IsRefusedByName(string email)
    {
        var rules = Rules(r => r.AllowedEmailDomains.Add("example.com"));

        var refusal = AccessRuleCheck.Refusal(rules, User(email: email));

        Assert.NotNull(refusal);
        Assert.Contains(email, refusal, StringComparison.Ordinal);
        Assert.Contains("not allowed", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void EmailDomain_UnverifiedAddress_IsRefused_AndTheReasonSaysSo()
    {
        var rules = Rules(r => r.AllowedEmailDomains.Add("example.com"));

        var refusal = AccessRuleCheck.Refusal(rules, User(verified: false));

        Assert.NotNull(refusal);
        Assert.Contains("not verified", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void EmailDomain_UnverifiedAddress_IsLetIn_WhenVerificationIsNotRequired()
    {
        var rules = Rules(r =>
        {
            r.AllowedEmailDomains.Add("example.com");
            r.RequireVerifiedEmail = false;
        });

        Assert.Null(AccessRuleCheck.Refusal(rules, User(verified: false)));
    }

    [Fact]
    public void EmailDomain_NoEmailShared_IsRefused_AndTheReasonSaysSo()
    {
        var rules = Rules(r => r.AllowedEmailDomains.Add("example.com"));

        var refusal = AccessRuleCheck.Refusal(rules, User(email: null, verified: false));

        Assert.NotNull(refusal);
        Assert.Contains("did not share an e-mail address", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void HostedDomain_Matching_LetsInEvenWithoutAnEmail()
    {
        var rules = Rules(r => { r.AllowedHostedDomains.Add("example.com"); r.HostedDomainIssuers.Add(Issuer); });

        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: null, verified: false, hostedDomain: "EXAMPLE.com")));
    }

    [Fact]
    public void HostedDomain_FromAnIssuerNotTrustedForIt_IsIgnored()
    {
        // Only Google signs hd by default; another provider's hd may be a value the user chose.
        var rules = Rules(r => r.AllowedHostedDomains.Add("example.com"));

        Assert.Contains("https://accounts.google.com", rules.HostedDomainIssuers);
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: null, verified: false, hostedDomain: "example.com")));
    }

    [Fact]
    public void EmailWithoutAnAtSign_IsNoEmail_AndMatchesNoDomain()
    {
        var rules = Rules(r => r.AllowedEmailDomains.Add("example.com"));

        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: "example.com")));
    }

    [Fact]
    public void HostedDomain_Missing_IsNotMatchedByTheEmailDomain()
    {
        // hd is what Google signs for Workspace accounts; a gmail address in the same domain name is not one.
        var rules = Rules(r => r.AllowedHostedDomains.Add("example.com"));

        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: "alice@example.com", hostedDomain: null)));
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: "alice@example.com", hostedDomain: "other.com")));
    }

    [Fact]
    public void AllowedUsers_ByEmail_CaseInsensitive_VerifiedOnly()
    {
        var rules = Rules(r => r.AllowedUsers.Add("Alice@Example.com"));

        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: "alice@example.com")));
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: "alice@example.com", verified: false)));
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: "bob@example.com")));
    }

    [Fact]
    public void AllowedUsers_ByIssuerAndSubject_LetsInWithoutAnyEmail()
    {
        var rules = Rules(r => r.AllowedUsers.Add(Issuer + "|u-42"));

        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: null, verified: false, upstreamSubject: "u-42")));
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: null, verified: false, upstreamSubject: "u-43")));
    }

    [Fact]
    public void AllowedUsers_IssuerAndSubject_IsCaseSensitive()
    {
        var rules = Rules(r => r.AllowedUsers.Add(Issuer + "|U-42"));

        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: null, verified: false, upstreamSubject: "u-42")));
        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: null, verified: false, upstreamSubject: "U-42")));
    }

    [Fact]
    public void AllowedUsers_SubjectOfAnotherIssuer_IsRefused()
    {
        var rules = Rules(r => r.AllowedUsers.Add("https://other-idp.example.com|u-42"));

        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(upstreamSubject: "u-42")));
    }

    [Fact]
    public void IdentityLists_AreAlternatives_AnyOneOfThemSuffices()
    {
        var rules = Rules(r =>
        {
            r.AllowedEmailDomains.Add("example.com");
            r.AllowedHostedDomains.Add("workspace.example");
            r.HostedDomainIssuers.Add(Issuer);
            r.AllowedUsers.Add("guest@partner.com");
        });

        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: "alice@example.com")));
        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: "x@gmail.com", hostedDomain: "workspace.example")));
        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: "guest@partner.com")));
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: "mallory@partner.com")));
    }

    [Fact]
    public void RequiredGroups_UserInOneOfThem_IsLetIn_OtherwiseRefused()
    {
        var rules = Rules(r =>
        {
            r.RequiredGroups.Add("staff");
            r.RequiredGroups.Add("contractors");
        });

        Assert.Null(AccessRuleCheck.Refusal(rules, User(groups: ["other", "contractors"])));
        var refusal = AccessRuleCheck.Refusal(rules, User(groups: ["other"]));
        Assert.NotNull(refusal);
        Assert.Contains("group", refusal, StringComparison.Ordinal);
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(groups: [])));
    }

    [Fact]
    public void RequiredGroups_MatchExactly_NotIgnoringCase()
    {
        var rules = Rules(r => r.RequiredGroups.Add("Staff"));

        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(groups: ["staff"])));
    }

    [Fact]
    public void RequiredRoles_UserHoldingOne_IsLetIn_OtherwiseRefused()
    {
        var rules = Rules(r => r.RequiredRoles.Add("mcp-user"));

        Assert.Null(AccessRuleCheck.Refusal(rules, User(roles: ["mcp-user"])));
        var refusal = AccessRuleCheck.Refusal(rules, User(roles: ["reader"]));
        Assert.NotNull(refusal);
        Assert.Contains("role", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupsAndRoles_ApplyOnTopOfTheIdentityLists()
    {
        var rules = Rules(r =>
        {
            r.AllowedEmailDomains.Add("example.com");
            r.RequiredGroups.Add("staff");
            r.RequiredRoles.Add("mcp-user");
        });

        Assert.Null(AccessRuleCheck.Refusal(rules, User(groups: ["staff"], roles: ["mcp-user"])));
        // Right domain, wrong group.
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(groups: ["sales"], roles: ["mcp-user"])));
        // Right domain and group, no role.
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(groups: ["staff"])));
        // Right group and role, wrong domain.
        Assert.NotNull(AccessRuleCheck.Refusal(rules, User(email: "alice@other.com", groups: ["staff"], roles: ["mcp-user"])));
    }

    [Fact]
    public void GroupsOnly_NoIdentityList_LetsInUsersWithoutEmail()
    {
        var rules = Rules(r => r.RequiredGroups.Add("staff"));

        Assert.Null(AccessRuleCheck.Refusal(rules, User(email: null, verified: false, groups: ["staff"])));
    }

    [Fact]
    public void Defaults_RequireVerifiedEmail_AndReadTheUsualGroupAndRoleClaims()
    {
        var rules = new McpOAuthAccessRules();

        Assert.True(rules.RequireVerifiedEmail);
        Assert.Equal(["groups", "group"], rules.GroupClaimTypes);
        Assert.Equal(["roles", "role", System.Security.Claims.ClaimTypes.Role], rules.RoleClaimTypes);
    }
}
