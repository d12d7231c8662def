using System.Security.Cryptography;
using McpSseAuth.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Unit;

public sealed class McpOAuthOptionsValidatorTests
{
    // One hash for the whole class: PBKDF2 is deliberately slow.
    private static readonly string AliceHash = McpOAuthUser.HashPassword("alice", "secret");

    private static McpOAuthOptions ValidOptions()
    {
        var options = new McpOAuthOptions();
        options.Users.Add(new McpOAuthUser { UserName = "alice", PasswordHash = AliceHash });
        return options;
    }

    private static IReadOnlyList<string> Failures(McpOAuthOptions options)
    {
        var result = new McpOAuthOptionsValidator().Validate(null, options);
        Assert.True(result.Failed, "The configuration was expected to be refused.");
        return [.. result.Failures!];
    }

    private static string SingleFailure(McpOAuthOptions options, string mentioning)
    {
        var failures = Failures(options);
        return Assert.Single(failures, f => f.Contains(mentioning, StringComparison.Ordinal));
    }

    private static void AssertPasses(McpOAuthOptions options)
    {
        var result = new McpOAuthOptionsValidator().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_DefaultsWithOneUser_Pass()
        => AssertPasses(ValidOptions());

    [Fact]
    public void Validate_NoWayForAClientToSignIn_IsRefused_AnyOneWayPasses()
    {
        var none = ValidOptions();
        none.Registration.Enabled = false;
        none.ClientMetadataDocuments.Enabled = false;
        Assert.Contains("no MCP client could sign in", SingleFailure(none, "Registration.Enabled"), StringComparison.Ordinal);

        var documentsOnly = ValidOptions();
        documentsOnly.Registration.Enabled = false;
        AssertPasses(documentsOnly);

        var configuredOnly = ValidOptions();
        configuredOnly.Registration.Enabled = false;
        configuredOnly.ClientMetadataDocuments.Enabled = false;
        configuredOnly.Clients.Add(new McpOAuthClient { ClientId = "desktop", RedirectUris = { "http://127.0.0.1/callback" } });
        AssertPasses(configuredOnly);
    }

    [Fact]
    public void Validate_UserAddedWithAddUser_Passes()
        => AssertPasses(new McpOAuthOptions().AddUser("a", "a"));

    [Theory]
    [InlineData("https://mcp.example.com")]
    [InlineData("https://mcp.example.com/tenant/")]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("http://localhost:5000")]
    [InlineData("http://[::1]:5000")]
    public void Validate_HttpsOrHttpLoopbackIssuer_Passes(string issuer)
    {
        var options = ValidOptions();
        options.Issuer = new Uri(issuer);
        AssertPasses(options);
    }

    [Theory]
    [InlineData("http://mcp.example.com")]
    [InlineData("http://192.168.1.10:5000")]
    public void Validate_HttpIssuerOnNonLoopbackHost_FailsNamingIssuerAndHowToFix(string issuer)
    {
        var options = ValidOptions();
        options.Issuer = new Uri(issuer);
        var message = SingleFailure(options, "McpOAuthOptions.Issuer");
        Assert.Contains("https", message, StringComparison.Ordinal);
        Assert.Contains("AllowInsecureHttp", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HttpLanIssuerWithAllowInsecureHttp_Passes()
    {
        var options = ValidOptions();
        options.Issuer = new Uri("http://192.168.1.10:5000");
        options.AllowInsecureHttp = true;
        AssertPasses(options);
    }

    [Fact]
    public void Validate_AllowInsecureHttp_DoesNotAllowOtherSchemes()
    {
        var options = ValidOptions();
        options.Issuer = new Uri("ftp://mcp.example.com");
        options.AllowInsecureHttp = true;
        SingleFailure(options, "McpOAuthOptions.Issuer");
    }

    [Theory]
    [InlineData("https://mcp.example.com/?tenant=1")]
    [InlineData("https://mcp.example.com/#top")]
    public void Validate_IssuerWithQueryOrFragment_FailsNamingIssuerAndSayingRemoveThem(string issuer)
    {
        var options = ValidOptions();
        options.Issuer = new Uri(issuer);
        var message = SingleFailure(options, "McpOAuthOptions.Issuer");
        Assert.Contains("no query or fragment", message, StringComparison.Ordinal);
        Assert.Contains("remove", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RelativeIssuer_FailsAskingForAnAbsoluteUrl()
    {
        var options = ValidOptions();
        options.Issuer = new Uri("/oauth", UriKind.Relative);
        var message = SingleFailure(options, "McpOAuthOptions.Issuer");
        Assert.Contains("absolute URL", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmptyScopes_FailsNamingScopesAndTheScopeToKeep()
    {
        var options = ValidOptions();
        options.Scopes.Supported.Clear();
        var message = SingleFailure(options, "McpOAuthOptions.Scopes.Supported is empty");
        Assert.Contains("mcp:tools", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("read write")]
    [InlineData("quote\"d")]
    [InlineData("back\\slash")]
    [InlineData("tab\there")]
    [InlineData("caf\u00e9")]
    [InlineData("")]
    public void Validate_ScopeThatIsNotAScopeToken_FailsNamingTheScope(string scope)
    {
        var options = ValidOptions();
        options.Scopes.Supported.Add(new McpOAuthScope { Name = scope, Description = "Something" });
        var message = SingleFailure(options, $"'{scope}'");
        Assert.Contains("RFC 6749", message, StringComparison.Ordinal);
        Assert.Contains("without spaces", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PagesLayoutThatIsNotALayout_FailsNamingIt()
    {
        var options = ValidOptions();
        options.Pages.Layout = typeof(string);
        var message = SingleFailure(options, "McpOAuthOptions.Pages.Layout");
        Assert.Contains("System.String", message, StringComparison.Ordinal);
        Assert.Contains("LayoutComponentBase", message, StringComparison.Ordinal);

        options.Pages.Layout = typeof(McpSseAuth.Tests.EndToEnd.BrandLayout);
        AssertPasses(options);
    }

    [Fact]
    public void Validate_ScopeWithoutDescription_FailsNamingTheScope()
    {
        var options = ValidOptions();
        options.Scopes.Supported.Add(new McpOAuthScope { Name = "files:write" });
        var message = SingleFailure(options, "'files:write'");
        Assert.Contains("has no Description", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scopes_ALaterEntryWithTheSameName_GivesItsWords()
    {
        var options = ValidOptions();
        options.Scopes.Add("mcp:tools", "Run the tools");
        AssertPasses(options);
        Assert.Equal("Run the tools", options.Scopes.WordsFor("mcp:tools"));
        Assert.True(options.Scopes.IsSupported("mcp:tools"));
        Assert.Equal(["mcp:tools"], options.Scopes.Names);
    }

    [Theory]
    [InlineData("mcp:admin")]
    [InlineData("files.read")]
    [InlineData("a!#[]~")]
    public void Validate_ScopeOfPrintableAscii_Passes(string scope)
    {
        var options = ValidOptions();
        options.Scopes.Add(scope, "Something");
        AssertPasses(options);
    }

    [Fact]
    public void Validate_DefaultScopeNotInScopes_FailsSayingToAddIt()
    {
        var options = ValidOptions();
        options.Scopes.Default.Add("mcp:admin");
        var message = SingleFailure(options, "'mcp:admin'");
        Assert.Contains("McpOAuthOptions.Scopes.Supported", message, StringComparison.Ordinal);
        Assert.Contains("add it", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmptyDefaultScopes_FailsNamingDefaultScopes()
    {
        var options = ValidOptions();
        options.Scopes.Default.Clear();
        SingleFailure(options, "McpOAuthOptions.Scopes.Default");
    }

    [Fact]
    public void Validate_CodeLifetimeOverTenMinutes_FailsNamingTheLimit()
    {
        var options = ValidOptions();
        options.Tokens.AuthorizationCodeLifetime = TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1);
        var message = SingleFailure(options, "McpOAuthOptions.Tokens.AuthorizationCodeLifetime");
        Assert.Contains("at most 10 minutes", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CodeLifetimeOfExactlyTenMinutes_Passes()
    {
        var options = ValidOptions();
        options.Tokens.AuthorizationCodeLifetime = TimeSpan.FromMinutes(10);
        AssertPasses(options);
    }

    [Theory]
    [InlineData("Tokens.AccessTokenLifetime")]
    [InlineData("Tokens.RefreshTokenLifetime")]
    [InlineData("Tokens.RefreshTokenAbsoluteLifetime")]
    [InlineData("Tokens.AuthorizationCodeLifetime")]
    [InlineData("SignIn.Lifetime")]
    [InlineData("SignIn.UserStatusInterval")]
    [InlineData("Registration.Window")]
    [InlineData("Registration.UnusedClientLifetime")]
    public void Validate_ZeroLifetime_FailsNamingTheLifetimeByItsGroup(string path)
    {
        var options = ValidOptions();
        var (group, property) = (path.Split('.')[0], path.Split('.')[1]);
        var groupObject = typeof(McpOAuthOptions).GetProperty(group)!.GetValue(options)!;
        groupObject.GetType().GetProperty(property)!.SetValue(groupObject, TimeSpan.Zero);
        var message = SingleFailure(options, $"McpOAuthOptions.{path}");
        Assert.Contains("must be positive", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(301)]
    public void Validate_ClockSkewOutsideZeroToFiveMinutes_Fails(int seconds)
    {
        var options = ValidOptions();
        options.Tokens.ClockSkew = TimeSpan.FromSeconds(seconds);
        SingleFailure(options, "McpOAuthOptions.Tokens.ClockSkew");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(301)]
    public void Validate_RefreshTokenReuseWindowOutsideZeroToFiveMinutes_Fails(int seconds)
    {
        var options = ValidOptions();
        options.Tokens.RefreshTokenReuseWindow = TimeSpan.FromSeconds(seconds);
        SingleFailure(options, "McpOAuthOptions.Tokens.RefreshTokenReuseWindow");
    }

    [Fact]
    public void Validate_RefreshTokenReuseWindowOff_Passes()
    {
        var options = ValidOptions();
        options.Tokens.RefreshTokenReuseWindow = TimeSpan.Zero;
        AssertPasses(options);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(-1)]
    public void Validate_SessionIdleTimeoutUnderASecondOrOverThirtyDays_Fails(long milliseconds)
    {
        var options = ValidOptions();
        options.Sessions.IdleTimeout = milliseconds < 0 ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(milliseconds);
        SingleFailure(options, "McpOAuthOptions.Sessions.IdleTimeout");
    }

    [Fact]
    public void Validate_NoRoomForClients_FailsNamingMaxRegisteredClients()
    {
        var options = ValidOptions();
        options.Registration.MaxClients = 0;
        SingleFailure(options, "McpOAuthOptions.Registration.MaxClients");
    }

    [Fact]
    public void Validate_SymmetricSigningKey_FailsAskingForAnAsymmetricKey()
    {
        var options = ValidOptions();
        options.Signing.Credentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256);
        var message = SingleFailure(options, "McpOAuthOptions.Signing.Credentials");
        Assert.Contains("asymmetric", message, StringComparison.Ordinal);
        Assert.Contains("leave it null", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EcdsaSigningKey_Passes()
    {
        var options = ValidOptions();
        options.Signing.Credentials = new SigningCredentials(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)), SecurityAlgorithms.EcdsaSha256);
        AssertPasses(options);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("ALICE")]
    public void Validate_DuplicateUserName_FailsNamingTheUser(string second)
    {
        var options = ValidOptions();
        options.Users.Add(new McpOAuthUser { UserName = second, PasswordHash = AliceHash });
        var message = SingleFailure(options, "more than once");
        Assert.Contains($"'{second}'", message, StringComparison.Ordinal);
        Assert.Contains("McpOAuthOptions.Users", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("secret")]
    [InlineData("not base64!")]
    public void Validate_UserWithoutValidPasswordHash_FailsSayingHowToMakeOne(string hash)
    {
        var options = ValidOptions();
        options.Users.Add(new McpOAuthUser { UserName = "bob", PasswordHash = hash });
        var message = SingleFailure(options, "'bob'");
        Assert.Contains("PasswordHash", message, StringComparison.Ordinal);
        Assert.Contains("McpOAuthUser.HashPassword", message, StringComparison.Ordinal);
        Assert.Contains("AddUser", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UserWithoutName_Fails()
    {
        var options = ValidOptions();
        options.Users.Add(new McpOAuthUser { UserName = " ", PasswordHash = AliceHash });
        SingleFailure(options, "has no UserName");
    }

    [Fact]
    public void Validate_NoUsersAndNoChallengeScheme_FailsNamingBothWaysToFixIt()
    {
        var message = SingleFailure(new McpOAuthOptions(), "No one can sign in");
        Assert.Contains("AddUser", message, StringComparison.Ordinal);
        Assert.Contains("McpOAuthOptions.SignIn.Schemes", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoUsersButASignInScheme_Passes()
    {
        var options = new McpOAuthOptions();
        options.SignIn.Schemes.Add("oidc");
        AssertPasses(options);
    }

    [Fact]
    public void Validate_ChallengeSchemeNotAmongSignInSchemes_FailsNamingTheFix()
    {
        var options = ValidOptions();
        options.SignIn.ChallengeScheme = "oidc";
        Assert.Contains("must also be in SignIn.Schemes", SingleFailure(options, "McpOAuthOptions.SignIn.ChallengeScheme"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(McpOAuthDefaults.SignInCookieScheme)]
    [InlineData(McpOAuthDefaults.ExternalCookieScheme)]
    [InlineData(McpOAuthDefaults.BearerScheme)]
    public void Validate_OwnSchemeAsSignInScheme_Fails(string scheme)
    {
        var options = ValidOptions();
        options.SignIn.Schemes.Add(scheme);
        SingleFailure(options, "not McpSseAuth's own");
    }

    [Fact]
    public void Validate_SignInSchemeListedTwice_Fails()
    {
        var options = ValidOptions();
        options.SignIn.Schemes.Add("oidc");
        options.SignIn.Schemes.Add("oidc");
        SingleFailure(options, "more than once");
    }

    [Theory]
    [InlineData("sub")]
    [InlineData("aud")]
    [InlineData("scope")]
    [InlineData("client_id")]
    [InlineData("gid")]
    public void Validate_ReservedAccessTokenClaim_Fails(string claim)
    {
        var options = ValidOptions();
        options.Tokens.AccessTokenClaims.Add(claim);
        SingleFailure(options, $"cannot list '{claim}'");
    }

    [Fact]
    public void Validate_LocalUserNameWithColon_Fails()
    {
        var options = new McpOAuthOptions();
        options.AddUser("ext:someone", "pw");
        SingleFailure(options, "contains ':'");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    public void Validate_BadServiceTokenName_Fails(string name)
    {
        var options = ValidOptions();
        options.ServiceTokens.Add(new McpServiceTokenDefinition { Name = name, DisplayName = "X" });
        SingleFailure(options, "service token name");
    }

    [Fact]
    public void Validate_ServiceTokenTwiceOrWithoutDisplayName_Fails()
    {
        var options = ValidOptions();
        options.AddServiceToken("github", "GitHub");
        options.ServiceTokens.Add(new McpServiceTokenDefinition { Name = "github", DisplayName = "Again" });
        SingleFailure(options, "configured more than once");

        var unnamed = ValidOptions();
        unnamed.ServiceTokens.Add(new McpServiceTokenDefinition { Name = "jira", DisplayName = " " });
        SingleFailure(unnamed, "needs a DisplayName");
    }

    [Fact]
    public void Validate_NegativeUpstreamRefreshMargin_Fails()
    {
        var options = ValidOptions();
        options.SignIn.UpstreamTokenRefreshMargin = TimeSpan.FromSeconds(-1);
        SingleFailure(options, "UpstreamTokenRefreshMargin");
    }

    [Fact]
    public void Validate_EmptyEndpointPath_FailsNamingThePath()
    {
        var options = ValidOptions();
        options.Paths.Token = "/";
        var message = SingleFailure(options, "McpOAuthOptions.Paths.Token");
        Assert.Contains("/oauth/x", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEachOne()
    {
        var options = new McpOAuthOptions { Issuer = new Uri("http://mcp.example.com"), Tokens = { AuthorizationCodeLifetime = TimeSpan.FromHours(1) } };
        options.Scopes.Add("a b", "x");
        var failures = Failures(options);
        Assert.Contains(failures, f => f.Contains("McpOAuthOptions.Issuer", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("'a b'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("AuthorizationCodeLifetime", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("No one can sign in", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("javascript")]
    [InlineData("data")]
    [InlineData("file")]
    [InlineData("https")]
    [InlineData("not a scheme")]
    public void Validate_DangerousOrInvalidPrivateUseScheme_FailsNamingTheReverseDomainForm(string scheme)
    {
        var options = ValidOptions();
        options.RedirectUris.AllowedSchemes.Add(scheme);

        Assert.Contains("reverse-domain form", SingleFailure(options, $"'{scheme}'"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReverseDomainPrivateUseScheme_Passes()
    {
        var options = ValidOptions();
        options.RedirectUris.AllowedSchemes.Add("com.example.app");

        AssertPasses(options);
    }

    // ---- configured clients (McpOAuthOptions.Clients) ----

    private const string GoodSecret = "0123456789abcdef0123456789abcdef";

    private static McpOAuthOptions WithClient(McpOAuthClient client)
    {
        var options = ValidOptions();
        options.Clients.Add(client);
        return options;
    }

    [Fact]
    public void Validate_ConfiguredConfidentialClientWithSecret_Passes()
    {
        var options = ValidOptions();
        options.Scopes.Add("mcp:read", "Read");
        options.Clients.Add(new McpOAuthClient { ClientId = "machine", ClientSecret = GoodSecret, Scopes = { "mcp:read" }, AllowIntrospection = true });
        AssertPasses(options);
    }

    [Fact]
    public void Validate_ConfiguredConfidentialClientWithPublicJwks_Passes()
    {
        var jwks = Integration.ClientKeys.Jwks(
            Integration.ClientKeys.Jwk(Integration.ClientKeys.NewEc("ec")),
            Integration.ClientKeys.Jwk(Integration.ClientKeys.NewRsa("rsa")));
        AssertPasses(WithClient(new McpOAuthClient { ClientId = "jwt-machine", JwksJson = jwks, GrantTypes = { "client_credentials" } }));
    }

    [Fact]
    public void Validate_ConfiguredConfidentialWebClientWithEveryGrant_Passes()
        => AssertPasses(WithClient(new McpOAuthClient
        {
            ClientId = "web",
            ClientSecret = GoodSecret,
            RedirectUris = { "https://app.example.com/callback" },
            GrantTypes = { "authorization_code", "refresh_token", "client_credentials" },
        }));

    [Fact]
    public void Validate_ConfiguredPublicClientWithRedirectUris_Passes()
        => AssertPasses(WithClient(new McpOAuthClient { ClientId = "web-public", ClientName = "Web", RedirectUris = { "https://app.example.com/callback", "http://127.0.0.1/cb" } }));

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("é-client")]
    public void Validate_ConfiguredClientWithoutAValidClientId_Fails(string clientId)
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = clientId, ClientSecret = GoodSecret }), "needs a ClientId");

    [Fact]
    public void Validate_ConfiguredClientIdOver200Characters_Fails()
    {
        SingleFailure(WithClient(new McpOAuthClient { ClientId = new string('a', 201), ClientSecret = GoodSecret }), "needs a ClientId");
        AssertPasses(WithClient(new McpOAuthClient { ClientId = new string('a', 200), ClientSecret = GoodSecret }));
    }

    [Fact]
    public void Validate_DuplicateConfiguredClientId_Fails()
    {
        var options = ValidOptions();
        options.Clients.Add(new McpOAuthClient { ClientId = "dup", ClientSecret = GoodSecret });
        options.Clients.Add(new McpOAuthClient { ClientId = "dup", ClientSecret = GoodSecret });
        Assert.Contains("Clients['dup']", SingleFailure(options, "appears twice"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ConfiguredClientSecretShorterThan32_Fails()
    {
        var message = SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", ClientSecret = GoodSecret[..31] }), "ClientSecret");
        Assert.Contains("32", message, StringComparison.Ordinal);
        Assert.Contains("Clients['m']", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("")]
    [InlineData("{\"keys\":\"x\"}")]
    public void Validate_ConfiguredClientJwksThatIsNotAJwks_Fails(string jwks)
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", JwksJson = jwks }), "JwksJson");

    [Theory]
    [InlineData("{\"keys\":[]}")]
    [InlineData("{}")]
    public void Validate_ConfiguredClientJwksWithoutKeys_Fails(string jwks)
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", JwksJson = jwks }), "JwksJson");

    [Fact]
    public void Validate_ConfiguredClientJwksWithAPrivateKey_Fails()
    {
        var withPrivate = Integration.ClientKeys.Jwks(Integration.ClientKeys.Jwk(Integration.ClientKeys.NewEc("k"), includePrivate: true));
        Assert.Contains("\"d\"", withPrivate, StringComparison.Ordinal);
        SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", JwksJson = withPrivate }), "JwksJson");

        var rsaWithPrivate = Integration.ClientKeys.Jwks(Integration.ClientKeys.Jwk(Integration.ClientKeys.NewRsa("r"), includePrivate: true));
        Assert.Contains("\"qi\"", rsaWithPrivate, StringComparison.Ordinal);
        SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", JwksJson = rsaWithPrivate }), "JwksJson");

        // A public key next to a private one: still refused.
        var mixed = Integration.ClientKeys.Jwks(Integration.ClientKeys.Jwk(Integration.ClientKeys.NewEc("a")), Integration.ClientKeys.Jwk(Integration.ClientKeys.NewEc("b"), includePrivate: true));
        SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", JwksJson = mixed }), "JwksJson");
    }

    [Fact]
    public void Validate_ConfiguredClientRsaJwkWithPrivateExponentOnly_Fails()
    {
        // "d" with n and e is a whole RSA private key (RFC 7518 §6.3.2: the CRT members are optional).
        var jwks = Integration.ClientKeys.Jwks(Integration.ClientKeys.Jwk(Integration.ClientKeys.NewRsa("r"), includePrivate: true, onlyD: true));
        Assert.Contains("\"d\"", jwks, StringComparison.Ordinal);
        SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", JwksJson = jwks }), "JwksJson");
    }

    [Fact]
    public void Validate_ConfiguredClientJwksWithASymmetricKey_Fails()
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", JwksJson = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\"}]}" }), "JwksJson");

    [Fact]
    public void Validate_ClientCredentialsWithoutCredentials_Fails()
    {
        SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", GrantTypes = { "client_credentials" } }), "has no credentials");
        // No redirect URIs and no grant types means client_credentials: a client with nothing is refused the same way.
        SingleFailure(WithClient(new McpOAuthClient { ClientId = "m" }), "has no credentials");
    }

    [Fact]
    public void Validate_AuthorizationCodeWithoutRedirectUris_Fails()
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", ClientSecret = GoodSecret, GrantTypes = { "authorization_code" } }), "no RedirectUris");

    [Fact]
    public void Validate_RefreshTokenWithoutAuthorizationCode_Fails()
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", ClientSecret = GoodSecret, GrantTypes = { "client_credentials", "refresh_token" } }), "refresh_token without authorization_code");

    [Theory]
    [InlineData("password")]
    [InlineData("implicit")]
    [InlineData("Client_Credentials")]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code")]
    public void Validate_UnknownGrantType_Fails(string grantType)
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", ClientSecret = GoodSecret, GrantTypes = { "client_credentials", grantType } }), $"'{grantType}' is not supported");

    [Fact]
    public void Validate_ConfiguredClientScopeUnknownToTheServer_Fails()
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "m", ClientSecret = GoodSecret, Scopes = { "mcp:tools", "mcp:nope" } }), "'mcp:nope'");

    [Fact]
    public void Validate_AllowIntrospectionWithoutCredentials_Fails()
        => SingleFailure(WithClient(new McpOAuthClient { ClientId = "web", RedirectUris = { "https://app.example.com/cb" }, AllowIntrospection = true }), "AllowIntrospection");

    [Theory]
    [InlineData("http://app.example.com/callback")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://app.example.com/callback#fragment")]
    [InlineData("/relative/callback")]
    [InlineData("com.example.app:/callback")]
    public void Validate_InvalidConfiguredRedirectUri_Fails(string uri)
        => Assert.Contains("RedirectUris", SingleFailure(WithClient(new McpOAuthClient { ClientId = "web", RedirectUris = { uri } }), $"'{uri}'"), StringComparison.Ordinal);

    [Fact]
    public void Validate_ConfiguredRedirectUriWithAnAllowedPrivateUseScheme_Passes()
    {
        var options = WithClient(new McpOAuthClient { ClientId = "app", RedirectUris = { "com.example.app:/callback" } });
        options.RedirectUris.AllowedSchemes.Add("com.example.app");
        AssertPasses(options);
    }

    [Theory]
    [InlineData("[::1]")]
    [InlineData("bücher.example")]
    [InlineData("example.com.")]
    [InlineData("*.com")]
    [InlineData("*")]
    [InlineData("a*.example.com")]
    public void Validate_AllowedHostEntryThatCouldNeverMatch_Fails(string host)
    {
        var redirects = ValidOptions();
        redirects.RedirectUris.AllowedHosts.Add(host);
        SingleFailure(redirects, "McpOAuthOptions.RedirectUris.AllowedHosts");

        var documents = ValidOptions();
        documents.ClientMetadataDocuments.AllowedHosts.Add(host);
        SingleFailure(documents, "McpOAuthOptions.ClientMetadataDocuments.AllowedHosts");
    }

    [Theory]
    [InlineData("claude.ai")]
    [InlineData("*.example.com")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("10.0.0.1")]
    public void Validate_AllowedHostEntriesAsCompared_Pass(string host)
    {
        var options = ValidOptions();
        options.RedirectUris.AllowedHosts.Add(host);
        AssertPasses(options);
    }
}
