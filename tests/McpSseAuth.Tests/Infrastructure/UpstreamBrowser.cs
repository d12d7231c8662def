using System.Net;
using System.Text.RegularExpressions;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>One response the browser received (redirects included), with its body and the cookies it set, and the form it posted.</summary>
public sealed record BrowserVisit(HttpMethod Method, Uri Url, HttpStatusCode Status, Uri? Location, string Body, IReadOnlyList<string> SetCookies, string? PostedForm)
{
    public override string ToString() => $"{Method} {Url} -> {(int)Status}{(Location is null ? "" : " " + Location)}";
}

/// <summary>
/// A headless browser for the upstream sign-in: one cookie jar for our server and the provider (both on 127.0.0.1, as
/// in a real browser cookies are not separated by port), redirects followed by hand, form_post answers posted, and
/// forms filled like a user would: the provider's login form (or its Cancel button), our consent page, our login page's
/// "Sign in with ..." link, and the "Return to the application" link of our access-denied page.
/// Like browsers, it treats http://127.0.0.1 as a secure context, so <c>Secure</c> cookies are kept and sent there.
/// Every response is kept in <see cref="Visits"/>.
/// </summary>
public sealed partial class UpstreamBrowser : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    private readonly CookieContainer _cookies = new();
    private readonly List<BrowserVisit> _visits = [];
    private readonly Uri _server;
    private readonly Uri _provider;

    public UpstreamBrowser(Uri server, OidcProvider provider)
    {
        _server = server;
        _provider = new Uri(provider.Issuer);
    }

    /// <summary>The e-mail to sign in with at the provider (the password is always <see cref="OidcProvider.Password"/>).</summary>
    public string Login { get; set; } = "alice@example.com";

    /// <summary>Press Cancel on the provider's login form instead of signing in (once; then the flag resets).</summary>
    public bool CancelAtProvider { get; set; }

    /// <summary>The consent page button: <c>allow</c> or <c>deny</c>.</summary>
    public string Decision { get; set; } = "allow";

    public IReadOnlyList<BrowserVisit> Visits
    {
        get
        {
            lock (_visits)
            {
                return [.. _visits];
            }
        }
    }

    /// <summary>Responses from our server (not from the provider).</summary>
    public IReadOnlyList<BrowserVisit> ServerVisits => [.. Visits.Where(v => SameOrigin(v.Url, _server))];

    /// <summary>Responses from the provider.</summary>
    public IReadOnlyList<BrowserVisit> ProviderVisits => [.. Visits.Where(v => SameOrigin(v.Url, _provider))];

    /// <summary>How many consent pages the browser was shown.</summary>
    public int ConsentPagesSeen => ServerVisits.Count(v => IsConsentPage(v.Body));

    /// <summary>The last page that was not a redirect.</summary>
    public BrowserVisit? LastPage => Visits.LastOrDefault(v => v.Location is null);

    /// <summary>
    /// Walks from an authorization URL like a user in a browser; returns the URL the browser was finally sent to at
    /// <paramref name="redirectUri"/> (the client's redirect URI, with <c>code</c> or <c>error</c>), or null when it stopped on a page
    /// it would not act on (see <see cref="LastPage"/>).
    /// </summary>
    public async Task<Uri?> AuthorizeAsync(Uri authorizationUrl, Uri redirectUri)
    {
        var url = authorizationUrl;
        HttpContent? body = null;
        var loginPosted = false;
        var providerLinkFollowed = false;
        for (var hop = 0; hop < 25; hop++)
        {
            var visit = await SendAsync(url, body);
            body = null;
            if (visit.Location is { } location)
            {
                if (IsAt(location, redirectUri))
                {
                    return location;
                }

                url = location;
                continue;
            }

            if (SameOrigin(url, _provider))
            {
                var forms = Forms(visit.Body);
                var leaving = forms.FirstOrDefault(f => !SameOrigin(new Uri(url, f.Action), _provider));
                if (leaving.Action is not null)
                {
                    // response_mode=form_post: the page posts the answer to our callback (a script would submit it).
                    url = new Uri(url, leaving.Action);
                    body = new FormUrlEncodedContent(leaving.Hidden);
                    continue;
                }

                if (forms.Count == 1 && visit.Body.Contains("document.forms[0].submit()", StringComparison.Ordinal))
                {
                    // A page the provider submits by script to itself (e.g. ending its session for prompt=login).
                    url = new Uri(url, forms[0].Action);
                    body = new FormUrlEncodedContent(forms[0].Hidden);
                    continue;
                }

                var loginForm = forms.FirstOrDefault(f => f.Action.EndsWith("/login", StringComparison.Ordinal));
                var abortForm = forms.FirstOrDefault(f => f.Action.EndsWith("/abort", StringComparison.Ordinal));
                if (visit.Status == HttpStatusCode.OK && loginForm.Action is not null && abortForm.Action is not null)
                {
                    if (CancelAtProvider)
                    {
                        CancelAtProvider = false;
                        url = new Uri(url, abortForm.Action);
                        body = new FormUrlEncodedContent(abortForm.Hidden);
                        continue;
                    }

                    if (loginPosted)
                    {
                        throw new InvalidOperationException($"The provider rejected the login '{Login}' (the login form came back).");
                    }

                    loginPosted = true;
                    url = new Uri(url, loginForm.Action);
                    body = new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = Login, ["password"] = OidcProvider.Password });
                    continue;
                }

                throw new InvalidOperationException($"Unexpected provider page {(int)visit.Status} at {url}: {Excerpt(visit.Body)}");
            }

            if (visit.Status == HttpStatusCode.OK && IsConsentPage(visit.Body))
            {
                var consent = Forms(visit.Body).Single();
                var fields = new Dictionary<string, string>(consent.Hidden) { ["decision"] = Decision };
                url = new Uri(url, consent.Action);
                body = new FormUrlEncodedContent(fields);
                continue;
            }

            if (visit.Status == HttpStatusCode.Forbidden && Links(visit.Body).FirstOrDefault(l => IsAt(l, redirectUri)) is { } back)
            {
                // The user reads why, then follows "Return to the application".
                return back;
            }

            if (visit.Status == HttpStatusCode.OK && !providerLinkFollowed && !visit.Body.Contains("class=\"error\"", StringComparison.Ordinal) &&
                Links(visit.Body, url).FirstOrDefault(l => l.Query.Contains("provider=", StringComparison.Ordinal)) is { } providerLink)
            {
                providerLinkFollowed = true;
                url = providerLink;
                continue;
            }

            return null;
        }

        throw new InvalidOperationException("Too many hops: " + string.Join(Environment.NewLine, Visits.TakeLast(10)));
    }

    /// <summary>Sends one request with the jar's cookies, stores the cookies it sets, and records it.</summary>
    public async Task<BrowserVisit> SendAsync(Uri url, HttpContent? form = null)
    {
        var posted = form is null ? null : await form.ReadAsStringAsync();
        using var request = new HttpRequestMessage(form is null ? HttpMethod.Get : HttpMethod.Post, url) { Content = form };
        var cookieHeader = _cookies.GetCookieHeader(CookieView(url));
        if (cookieHeader.Length > 0)
        {
            request.Headers.Add("Cookie", cookieHeader);
        }

        using var response = await _http.SendAsync(request);
        var setCookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        foreach (var setCookie in setCookies)
        {
            _cookies.SetCookies(CookieView(url), setCookie);
        }

        var location = (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } l ? new Uri(url, l) : null;
        var visit = new BrowserVisit(request.Method, url, response.StatusCode, location, await response.Content.ReadAsStringAsync(), setCookies, posted);
        lock (_visits)
        {
            _visits.Add(visit);
        }

        return visit;
    }

    /// <summary>Whether the jar holds an unexpired cookie of that name (for any path on 127.0.0.1).</summary>
    public bool HasCookie(string name) => _cookies.GetAllCookies().Any(c => c.Name == name && !c.Expired);

    public void Dispose() => _http.Dispose();

    /// <summary>The links of a page, resolved against <paramref name="page"/> when given.</summary>
    public static IReadOnlyList<Uri> Links(string html, Uri? page = null)
        => [.. LinkRegex().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups["href"].Value))
            .Select(href => page is null ? new Uri(href, UriKind.RelativeOrAbsolute) : new Uri(page, href))
            .Where(u => u.IsAbsoluteUri)];

    public static IReadOnlyList<(string Action, Dictionary<string, string> Hidden)> Forms(string html)
        => [.. FormRegex().Matches(html).Select(form => (
            WebUtility.HtmlDecode(form.Groups["action"].Value),
            HiddenRegex().Matches(form.Groups["body"].Value).ToDictionary(
                m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value), StringComparer.Ordinal)))];

    private static bool IsConsentPage(string html) => html.Contains("name=\"decision\"", StringComparison.Ordinal);

    private static bool IsAt(Uri url, Uri target) => url.GetLeftPart(UriPartial.Path) == target.GetLeftPart(UriPartial.Path);

    private static bool SameOrigin(Uri a, Uri b) => a.GetLeftPart(UriPartial.Authority) == b.GetLeftPart(UriPartial.Authority);

    /// <summary>Loopback http is a secure context for browsers: look cookies up as if it were https.</summary>
    private static Uri CookieView(Uri url)
        => url.Scheme == Uri.UriSchemeHttp && url.IsLoopback ? new UriBuilder(url) { Scheme = Uri.UriSchemeHttps, Port = url.Port }.Uri : url;

    private static string Excerpt(string html) => html[..Math.Min(html.Length, 600)];

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]*)\">(?<body>.*?)</form>", RegexOptions.Singleline)]
    private static partial Regex FormRegex();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"\\s*/?>")]
    private static partial Regex HiddenRegex();

    [GeneratedRegex("<a [^>]*href=\"(?<href>[^\"]*)\"")]
    private static partial Regex LinkRegex();
}
