using System.Net;
using System.Security.Claims;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.UserTokens;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Integration;

/// <summary>The sample app (which offers "github") with a second service and a user per test, so no test sees another's tokens.</summary>
public sealed class ServiceTokensFixture : IAsyncLifetime
{
    public static readonly string[] Users = [.. Enumerable.Range(1, 60).Select(i => $"user{i:00}")];

    private int _next;

    public SampleApp App { get; } = new(configure: o =>
    {
        o.SignIn.MaxFailedAttempts = 1_000;
        o.AddServiceToken("jira", "Jira <Cloud>", "Used by the <b>issue</b> tools.");
        o.ServiceTokens.Add(new McpServiceTokenDefinition
        {
            Name = "linear",
            DisplayName = "Linear",
            Format = "lin_api_[A-Za-z0-9]{8}",
            HelpUrl = new Uri("https://linear.example/settings/api?a=1&b=<2>"),
        });
        foreach (var user in Users)
        {
            o.AddUser(user, user);
        }
    });

    /// <summary>A user no other test of the class signs in as.</summary>
    public string NewUser() => Users[Interlocked.Increment(ref _next) - 1];

    public HttpClient CreateClient() => App.CreateRawClient();

    public IMcpUserTokens Tokens => App.Services.GetRequiredService<IMcpUserTokens>();

    public Task InitializeAsync()
    {
        _ = App.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// The service-tokens page: a signed-in user stores, replaces and deletes their own API token per configured service;
/// the page says whether one is stored and never shows it; bad input is refused with a reason and stores nothing.
/// </summary>
public sealed class ServiceTokensTests(ServiceTokensFixture fixture) : IClassFixture<ServiceTokensFixture>
{
    private static readonly Uri Tokens = new("http://localhost/oauth/tokens");
    private readonly HttpClient _http = fixture.CreateClient();

    private static ClaimsPrincipal Principal(string user) => new(new ClaimsIdentity([new Claim("sub", user)], "Bearer"));

    private ValueTask<string?> StoredAsync(string user, string service = "github") => fixture.Tokens.GetServiceTokenAsync(Principal(user), service);

    private async Task<(Browser Browser, string User)> SignedInAsync()
    {
        var user = fixture.NewUser();
        var (browser, _) = await AccountPageSupport.SignInAsync(_http, user, "/oauth/tokens");
        return (browser, user);
    }

    private static async Task<string> PageAsync(Browser browser, string query = "")
    {
        var response = await browser.SendAsync(new Uri(Tokens + query));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected the service-tokens page, got {(int)response.StatusCode}: {html}");
        return html;
    }

    /// <summary>Posts the page's form fields as a browser would, with the anti-forgery token of a fresh GET.</summary>
    private static async Task<HttpResponseMessage> PostAsync(Browser browser, string service, string action, string? token = null)
    {
        var (name, value) = AccountPageSupport.AntiforgeryField(await PageAsync(browser));
        var fields = new Dictionary<string, string> { [name] = value, ["service"] = service, ["action"] = action };
        if (token is not null)
        {
            fields["token"] = token;
        }

        return await browser.SendAsync(Tokens, new FormUrlEncodedContent(fields));
    }

    private static string SectionOf(string html, string displayNameEncoded)
    {
        var start = html.IndexOf("<section class=\"service\"><h2>" + displayNameEncoded + "</h2>", StringComparison.Ordinal);
        Assert.True(start >= 0, $"No section for {displayNameEncoded}: {html}");
        return html[start..(html.IndexOf("</section>", start, StringComparison.Ordinal) + "</section>".Length)];
    }

    [Fact]
    public async Task ServiceTokens_NotSignedIn_SendsToLogin_AndBackToThePageAfterSignIn()
    {
        var browser = new Browser(_http);

        await AccountPageSupport.AssertChallengeSignsInAndReturnsAsync(browser, Tokens, fixture.NewUser());
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(Tokens)).StatusCode);
    }

    [Fact]
    public async Task ServiceTokens_Page_ListsEachServiceEncoded_NothingStored_NeverFramedOrCached()
    {
        var (browser, _) = await SignedInAsync();

        var response = await browser.SendAsync(Tokens);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("<title>Service tokens</title>", html, StringComparison.Ordinal);
        Assert.Contains("No token stored.", SectionOf(html, "GitHub"), StringComparison.Ordinal);
        var jira = SectionOf(html, "Jira &lt;Cloud&gt;");
        Assert.Contains("Used by the &lt;b&gt;issue&lt;/b&gt; tools.", jira, StringComparison.Ordinal);
        Assert.Contains("No token stored.", jira, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"delete\"", html, StringComparison.Ordinal);
        Assert.Contains("type=\"password\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/oauth/tokens\">Service tokens</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceTokens_Save_StoresTheToken_ForToolsOfThatUser_AndRedirects303()
    {
        var (browser, user) = await SignedInAsync();

        var response = await PostAsync(browser, "github", "save", "ghp_S3cr3tT0k3nValue");

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/oauth/tokens?done=saved", response.Headers.Location!.OriginalString);
        Assert.Equal("ghp_S3cr3tT0k3nValue", await StoredAsync(user));
        Assert.Null(await StoredAsync(user, "jira"));
    }

    [Fact]
    public async Task ServiceTokens_AfterSave_PageSaysStored_ButNeverShowsTheValue()
    {
        var (browser, _) = await SignedInAsync();
        await PostAsync(browser, "github", "save", "ghp_S3cr3tT0k3nValue");

        var response = await browser.SendAsync(new Uri(Tokens + "?done=saved"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("ghp_S3cr3tT0k3nValue", html, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cr3t", html, StringComparison.Ordinal);
        Assert.Contains("Token saved.", html, StringComparison.Ordinal);
        var github = SectionOf(html, "GitHub");
        Assert.Contains("A token is stored.", github, StringComparison.Ordinal);
        Assert.Contains("Replace the token", github, StringComparison.Ordinal);
        Assert.Contains("value=\"delete\"", github, StringComparison.Ordinal);
        Assert.Contains("No token stored.", SectionOf(html, "Jira &lt;Cloud&gt;"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceTokens_SaveAgain_ReplacesTheToken()
    {
        var (browser, user) = await SignedInAsync();
        await PostAsync(browser, "github", "save", "first-token");

        Assert.Equal(HttpStatusCode.SeeOther, (await PostAsync(browser, "github", "save", "second-token")).StatusCode);

        Assert.Equal("second-token", await StoredAsync(user));
    }

    [Fact]
    public async Task ServiceTokens_Save_TrimsSurroundingWhitespace()
    {
        var (browser, user) = await SignedInAsync();

        Assert.Equal(HttpStatusCode.SeeOther, (await PostAsync(browser, "github", "save", "  pasted-token\r\n")).StatusCode);

        Assert.Equal("pasted-token", await StoredAsync(user));
    }

    [Fact]
    public async Task ServiceTokens_Save_LongestAllowedToken_IsStored()
    {
        var (browser, user) = await SignedInAsync();
        var token = new string('x', 4096);

        Assert.Equal(HttpStatusCode.SeeOther, (await PostAsync(browser, "github", "save", token)).StatusCode);

        Assert.Equal(token, await StoredAsync(user));
    }

    [Theory]
    [InlineData("", "The token is empty.")]
    [InlineData("   ", "The token is empty.")]
    [InlineData("has space-secret1", "printable ASCII characters only")]
    [InlineData("tab\tsecret1", "printable ASCII characters only")]
    [InlineData("ctrl\u0001secret1", "printable ASCII characters only")]
    [InlineData("caf\u00e9-secret1", "printable ASCII characters only")]
    public async Task ServiceTokens_BadToken_Is400WithTheReason_NeverEchoed_AndNothingStored(string token, string reason)
    {
        var (browser, user) = await SignedInAsync();

        var response = await PostAsync(browser, "github", "save", token);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains(reason, html, StringComparison.Ordinal);
        Assert.DoesNotContain("secret1", html, StringComparison.Ordinal);
        Assert.Null(await StoredAsync(user));
    }

    [Fact]
    public async Task ServiceTokens_AFormat_RefusesATokenThatDoesNotMatchIt_OnThePageAndThroughTheApi()
    {
        var (browser, user) = await SignedInAsync();

        var refused = await PostAsync(browser, "linear", "save", "lin_api_short1");
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("That does not look like a Linear token.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("lin_api_short1", html, StringComparison.Ordinal);
        Assert.Null(await StoredAsync(user, "linear"));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Tokens.SetServiceTokenAsync(Principal(user), "linear", "prefix-lin_api_abcdefgh").AsTask());

        Assert.Equal(HttpStatusCode.SeeOther, (await PostAsync(browser, "linear", "save", "lin_api_abcdefgh")).StatusCode);
        Assert.Equal("lin_api_abcdefgh", await StoredAsync(user, "linear"));
    }

    [Fact]
    public async Task ServiceTokens_AHelpUrl_IsLinkedFromThePage_Encoded()
    {
        var (browser, _) = await SignedInAsync();

        var html = await (await browser.SendAsync(Tokens)).Content.ReadAsStringAsync();

        Assert.Contains("<a href=\"https://linear.example/settings/api?a=1&amp;b=%3C2%3E\" target=\"_blank\" rel=\"noopener noreferrer\">Where to get one</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceTokens_TokenLongerThan4096_Is400WithTheReason_AndNothingStored()
    {
        var (browser, user) = await SignedInAsync();

        var response = await PostAsync(browser, "github", "save", new string('x', 4097));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("longer than 4096 characters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await StoredAsync(user));
    }

    [Fact]
    public async Task ServiceTokens_FieldBeyondTheFormBound_GetsTheErrorPage_AndNothingStored()
    {
        var (browser, user) = await SignedInAsync();

        var response = await PostAsync(browser, "github", "save", new string('x', 8193));

        // Refused by the form reader's bound on every field, before the page's own check: the shared error page.
        var html = await Http.AssertErrorPageAsync(response);
        AccountPageSupport.AssertPageHeaders(response);
        Assert.Contains("too long", html, StringComparison.Ordinal);
        Assert.Null(await StoredAsync(user));
    }

    [Fact]
    public async Task ServiceTokens_LongestTokenOfCharactersFormsPercentEncode_IsStored()
    {
        // 4,096 printable ASCII characters are allowed whatever they are; '/', '+' and '=' travel as %2F, %2B, %3D.
        var (browser, user) = await SignedInAsync();
        var token = string.Concat(Enumerable.Repeat("/+=", 1366))[..4096];

        var response = await PostAsync(browser, "github", "save", token);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(token, await StoredAsync(user));
    }

    [Fact]
    public async Task ServiceTokens_BadToken_LeavesTheStoredOneInPlace()
    {
        var (browser, user) = await SignedInAsync();
        await PostAsync(browser, "github", "save", "good-token");

        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(browser, "github", "save", "bad token")).StatusCode);

        Assert.Equal("good-token", await StoredAsync(user));
    }

    [Theory]
    [InlineData("gitlab")]
    [InlineData("GitHub")]
    [InlineData("")]
    public async Task ServiceTokens_UnknownService_Is400_AndNothingStored(string service)
    {
        var (browser, user) = await SignedInAsync();

        var response = await PostAsync(browser, service, "save", "a-token");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("That service is not configured on this server.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await StoredAsync(user));
        Assert.Null(await StoredAsync(user, "jira"));
    }

    [Theory]
    [InlineData("store")]
    [InlineData("")]
    public async Task ServiceTokens_UnknownAction_Is400_AndNothingStored(string action)
    {
        var (browser, user) = await SignedInAsync();

        var response = await PostAsync(browser, "github", action, "a-token");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The action must be save or delete.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await StoredAsync(user));
    }

    [Fact]
    public async Task ServiceTokens_Delete_RemovesTheToken_AndRedirects303()
    {
        var (browser, user) = await SignedInAsync();
        await PostAsync(browser, "github", "save", "to-be-deleted");
        await PostAsync(browser, "jira", "save", "kept");

        var response = await PostAsync(browser, "github", "delete");

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/oauth/tokens?done=deleted", response.Headers.Location!.OriginalString);
        Assert.Null(await StoredAsync(user));
        Assert.Equal("kept", await StoredAsync(user, "jira"));
        var html = await PageAsync(browser, "?done=deleted");
        Assert.Contains("Token deleted.", html, StringComparison.Ordinal);
        Assert.Contains("No token stored.", SectionOf(html, "GitHub"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceTokens_WithoutAntiforgeryToken_IsErrorPage_AndNothingStoredOrDeleted()
    {
        var (browser, user) = await SignedInAsync();
        await PostAsync(browser, "jira", "save", "kept");

        var save = await browser.SendAsync(Tokens, new FormUrlEncodedContent(new Dictionary<string, string> { ["service"] = "github", ["action"] = "save", ["token"] = "forged" }));
        var delete = await browser.SendAsync(Tokens, new FormUrlEncodedContent(new Dictionary<string, string> { ["service"] = "jira", ["action"] = "delete" }));

        await Http.AssertErrorPageAsync(save);
        await Http.AssertErrorPageAsync(delete);
        Assert.Null(await StoredAsync(user));
        Assert.Equal("kept", await StoredAsync(user, "jira"));
    }

    [Fact]
    public async Task ServiceTokens_NotSignedInPost_SendsToLogin_AndStoresNothing()
    {
        var response = await _http.PostAsync("/oauth/tokens", new FormUrlEncodedContent(new Dictionary<string, string> { ["service"] = "github", ["action"] = "save", ["token"] = "t" }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/oauth/login", Http.Location(response).AbsolutePath);
    }

    [Fact]
    public async Task ServiceTokens_AreKeptPerUser()
    {
        var (first, firstUser) = await SignedInAsync();
        var (second, secondUser) = await SignedInAsync();
        await PostAsync(first, "github", "save", "first-users-token");

        var html = await PageAsync(second);

        Assert.Contains("No token stored.", SectionOf(html, "GitHub"), StringComparison.Ordinal);
        Assert.Null(await StoredAsync(secondUser));
        Assert.Equal(HttpStatusCode.SeeOther, (await PostAsync(second, "github", "delete")).StatusCode);
        Assert.Equal("first-users-token", await StoredAsync(firstUser));
    }

    [Fact]
    public async Task ServiceTokens_AreStoredEncrypted()
    {
        var (browser, user) = await SignedInAsync();
        await PostAsync(browser, "github", "save", "ghp_plaintext_must_not_be_stored");

        var stored = await fixture.App.Services.GetRequiredService<IUserSecretStore>().FindAsync(user, "service:github", default);

        Assert.NotNull(stored);
        Assert.DoesNotContain("ghp_plaintext_must_not_be_stored", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceTokens_PageIsNotMapped_WhenNoServiceIsConfigured()
    {
        await using var app = new SampleApp(configure: o => o.ServiceTokens.Clear());
        var http = app.CreateRawClient();
        var (browser, _) = await AccountPageSupport.SignInAsync(http, "alice", "/oauth/apps");

        Assert.Equal(HttpStatusCode.NotFound, (await browser.SendAsync(Tokens)).StatusCode);
        var apps = await (await browser.SendAsync(new Uri("http://localhost/oauth/apps"))).Content.ReadAsStringAsync();
        Assert.DoesNotContain("Service tokens", apps, StringComparison.Ordinal);
        Assert.Contains("Connected apps</a>", apps, StringComparison.Ordinal);
    }
}
