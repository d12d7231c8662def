using McpSseAuth.Clients;

namespace McpSseAuth.Tests.Unit;

public sealed class RedirectUriRulesTests
{
    private static readonly ISet<string> NoPrivateSchemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    private static bool Register(string uri, ISet<string>? allowed = null)
        => RedirectUriRules.TryValidateForRegistration(uri, allowed ?? NoPrivateSchemes, out _);

    private static string? Problem(string uri, ISet<string>? allowed = null)
    {
        Assert.False(RedirectUriRules.TryValidateForRegistration(uri, allowed ?? NoPrivateSchemes, out var problem));
        Assert.False(string.IsNullOrWhiteSpace(problem));
        return problem;
    }

    [Theory]
    [InlineData("https://app.example.com/callback")]
    [InlineData("https://app.example.com:8443/cb?tenant=1")]
    [InlineData("https://127.0.0.1/cb")]
    public void Registration_HttpsUri_IsAccepted(string uri)
        => Assert.True(Register(uri));

    [Theory]
    [InlineData("http://127.0.0.1/callback")]
    [InlineData("http://127.0.0.1:53682/callback")]
    [InlineData("http://[::1]/callback")]
    [InlineData("http://[::1]:53682/callback")]
    [InlineData("http://localhost/callback")]
    [InlineData("http://localhost:3000/callback")]
    [InlineData("http://LOCALHOST:3000/callback")]
    public void Registration_HttpOnLoopbackHost_IsAccepted(string uri)
        => Assert.True(Register(uri));

    [Theory]
    [InlineData("http://app.example.com/callback")]
    [InlineData("http://192.168.1.20:8080/callback")]
    [InlineData("http://localhost.example.com/callback")]
    [InlineData("http://127.0.0.1.nip.io/callback")]
    public void Registration_HttpOnNonLoopbackHost_IsRefusedAskingForHttps(string uri)
        => Assert.Contains("https", Problem(uri), StringComparison.Ordinal);

    [Theory]
    [InlineData("https://app.example.com/cb#fragment")]
    [InlineData("https://app.example.com/cb#")]
    [InlineData("http://127.0.0.1:1234/cb#x")]
    public void Registration_UriWithFragment_IsRefused(string uri)
        => Assert.Contains("fragment", Problem(uri), StringComparison.Ordinal);

    [Theory]
    [InlineData("https://user@app.example.com/cb")]
    [InlineData("https://user:password@app.example.com/cb")]
    [InlineData("http://app.example.com@127.0.0.1/cb")]
    public void Registration_UriWithUserInfo_IsRefused(string uri)
        => Assert.Contains("user information", Problem(uri), StringComparison.Ordinal);

    [Theory]
    [InlineData("javascript:alert(document.cookie)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://app.example.com/cb")]
    public void Registration_DangerousOrUnknownScheme_IsRefused(string uri)
        => Assert.Contains("scheme", Problem(uri), StringComparison.Ordinal);

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,x")]
    public void Registration_DangerousScheme_IsRefusedEvenWhenOtherPrivateSchemesAreAllowed(string uri)
        => Problem(uri, new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "cursor", "com.example.app" });

    [Theory]
    [InlineData("cursor://anysphere.cursor-retrieval/oauth/callback")]
    [InlineData("com.example.app:/oauth2redirect")]
    public void Registration_PrivateUseScheme_IsRefusedUnlessAllowed(string uri)
        => Problem(uri);

    [Theory]
    [InlineData("cursor://anysphere.cursor-retrieval/oauth/callback")]
    [InlineData("com.example.app:/oauth2redirect")]
    public void Registration_PrivateUseSchemeInAllowedSet_IsAccepted(string uri)
    {
        var allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "cursor", "com.example.app" };
        Assert.True(Register(uri, allowed));
    }

    [Fact]
    public void Registration_AllowedPrivateUseSchemeWithFragment_IsStillRefused()
    {
        var allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "cursor" };
        Assert.Contains("fragment", Problem("cursor://callback#x", allowed), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("callback")]
    [InlineData("")]
    [InlineData("//app.example.com/callback")]
    public void Registration_RelativeUri_IsRefused(string uri)
        => Problem(uri);

    [Fact]
    public void Registration_RootedPath_IsRefused()
        => Problem("/callback"); // On Unix System.Uri reads this as file:///callback; refused either way.

    [Fact]
    public void Registration_UriOver2000Characters_IsRefused()
        => Assert.Contains("too long", Problem("https://app.example.com/" + new string('a', 2000)), StringComparison.Ordinal);

    [Theory]
    [InlineData("https://app.example.com/callback")]
    [InlineData("http://127.0.0.1:1234/callback")]
    [InlineData("cursor://anysphere.cursor-retrieval/oauth/callback")]
    public void Matching_IdenticalString_Matches(string uri)
        => Assert.True(RedirectUriRules.Matches(uri, ["https://other.example/cb", uri]));

    [Theory]
    [InlineData("http://127.0.0.1:5678/callback", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:5678/callback", "http://127.0.0.1/callback")]
    [InlineData("http://127.0.0.1/callback", "http://127.0.0.1:1234/callback")]
    [InlineData("http://[::1]:5678/callback", "http://[::1]:1234/callback")]
    [InlineData("http://[::1]:5678/callback", "http://[::1]/callback")]
    [InlineData("http://localhost:5678/callback", "http://localhost:1234/callback")]
    [InlineData("http://127.0.0.1:5678/callback?x=1", "http://127.0.0.1:1234/callback?x=1")]
    [InlineData("http://127.0.0.1:5678", "http://127.0.0.1:1234")]
    public void Matching_HttpLoopbackWithDifferentPort_Matches(string requested, string registered)
        => Assert.True(RedirectUriRules.Matches(requested, [registered]));

    [Theory]
    [InlineData("http://127.0.0.1:5678/other", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:5678/callback/extra", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:5678/callback?x=2", "http://127.0.0.1:1234/callback?x=1")]
    [InlineData("http://127.0.0.1:5678/callback?x=1", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:5678/Callback", "http://127.0.0.1:1234/callback")]
    public void Matching_HttpLoopbackWithDifferentPathOrQuery_DoesNotMatch(string requested, string registered)
        => Assert.False(RedirectUriRules.Matches(requested, [registered]));

    [Theory]
    [InlineData("http://localhost:1234/callback", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:1234/callback", "http://localhost:1234/callback")]
    [InlineData("http://[::1]:1234/callback", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.2:1234/callback", "http://127.0.0.1:1234/callback")]
    public void Matching_DifferentLoopbackHost_DoesNotMatch(string requested, string registered)
        => Assert.False(RedirectUriRules.Matches(requested, [registered]));

    [Theory]
    [InlineData("https://127.0.0.1:5678/callback", "https://127.0.0.1:1234/callback")]
    [InlineData("https://localhost:5678/callback", "https://localhost:1234/callback")]
    [InlineData("https://app.example.com:8443/callback", "https://app.example.com/callback")]
    [InlineData("http://127.0.0.1:5678/callback", "https://127.0.0.1:1234/callback")]
    [InlineData("https://127.0.0.1:5678/callback", "http://127.0.0.1:1234/callback")]
    public void Matching_PortDifferenceOutsideHttpLoopback_DoesNotMatch(string requested, string registered)
        => Assert.False(RedirectUriRules.Matches(requested, [registered]));

    [Theory]
    [InlineData("https://app.example.com/Callback", "https://app.example.com/callback")]
    [InlineData("https://app.example.com/callback/", "https://app.example.com/callback")]
    [InlineData("https://app.example.com/callback", "https://app.example.com/callback/")]
    [InlineData("http://127.0.0.1:5678/callback/", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:1234/callback/", "http://127.0.0.1:1234/callback")]
    [InlineData("https://app.example.com/callback?", "https://app.example.com/callback")]
    [InlineData("https://app.example.com/callback?b=2&a=1", "https://app.example.com/callback?a=1&b=2")]
    [InlineData("https://app.example.com/%63allback", "https://app.example.com/callback")]
    public void Matching_AnyTextualDifference_DoesNotMatch(string requested, string registered)
        => Assert.False(RedirectUriRules.Matches(requested, [registered]));

    [Theory]
    [InlineData("http://evil.example@127.0.0.1:5678/callback", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:5678@evil.example/callback", "http://127.0.0.1:1234/callback")]
    [InlineData("http://127.0.0.1:5678/callback#frag", "http://127.0.0.1:1234/callback")]
    public void Matching_LoopbackLookalikeWithUserInfoOrFragment_DoesNotMatch(string requested, string registered)
        => Assert.False(RedirectUriRules.Matches(requested, [registered]));

    [Theory]
    [InlineData("http://127.0.0.1:5678\\callback", "http://127.0.0.1:1234")]
    [InlineData("http://127.0.0.1:5678\\@evil.example", "http://127.0.0.1")]
    [InlineData("http://127.0.0.1:5678\\other/callback", "http://127.0.0.1:1234/callback")]
    [InlineData("http://localhost:5678\\other/callback", "http://localhost/callback")]
    public void Matching_BackslashAfterLoopbackPort_DoesNotMatchWhenThePathDiffers(string requested, string registered)
    {
        // Browsers read a backslash as a slash in http URIs, so the requested URI has another path than the registered one.
        Assert.False(RedirectUriRules.Matches(requested, [registered]));
    }

    [Theory]
    [InlineData("not a uri")]
    [InlineData("")]
    [InlineData("/callback")]
    public void Matching_UnparsableRequest_DoesNotMatch(string requested)
        => Assert.False(RedirectUriRules.Matches(requested, ["http://127.0.0.1:1234/callback"]));

    [Fact]
    public void Matching_NoRegisteredUris_DoesNotMatch()
        => Assert.False(RedirectUriRules.Matches("http://127.0.0.1:1234/callback", []));

    [Theory]
    [InlineData("http://127.0.0.1/", true)]
    [InlineData("http://127.1.2.3/", true)]
    [InlineData("http://[::1]/", true)]
    [InlineData("http://localhost/", true)]
    [InlineData("http://LocalHost:80/", true)]
    [InlineData("http://0.0.0.0/", false)]
    [InlineData("http://[::]/", false)]
    [InlineData("http://10.0.0.1/", false)]
    [InlineData("http://localhost.localdomain/", false)]
    public void IsLoopbackHost_RecognisesOnlyLoopbackAddressesAndLocalhost(string uri, bool expected)
        => Assert.Equal(expected, RedirectUriRules.IsLoopbackHost(new Uri(uri)));
}
