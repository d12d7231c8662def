using System.Net;
using System.Text.RegularExpressions;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// Drives the login and consent pages over HTTP the way a browser would: follows redirects by hand, keeps cookies,
/// fills the documented form fields (<c>username</c>, <c>password</c>, <c>decision</c>) and sends every hidden field back.
/// </summary>
public sealed partial class Browser(HttpClient http)
{
    private readonly CookieContainer _cookies = new();

    public HttpResponseMessage? LastPage { get; private set; }

    public string? LastHtml { get; private set; }

    /// <summary>Walks from the authorization URL until a redirect leaves the server (to the client); returns that Location.</summary>
    public async Task<Uri> AuthorizeAsync(Uri authorizationUrl, string userName, string password, string decision = "allow")
    {
        var url = authorizationUrl;
        HttpContent? body = null;
        for (var hop = 0; hop < 10; hop++)
        {
            var response = await SendAsync(url, body);
            body = null;
            if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.RedirectMethod)
            {
                var location = new Uri(url, response.Headers.Location!);
                if (location.GetLeftPart(UriPartial.Authority) != url.GetLeftPart(UriPartial.Authority))
                {
                    return location;
                }

                url = location;
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            LastPage = response;
            LastHtml = html;
            var form = ParseForm(html);
            if (response.StatusCode != HttpStatusCode.OK || form is null)
            {
                throw new InvalidOperationException($"Unexpected page {(int)response.StatusCode} at {url}: {html[..Math.Min(html.Length, 600)]}");
            }

            var fields = form.Value.Hidden;
            if (html.Contains("name=\"username\"", StringComparison.Ordinal))
            {
                fields["username"] = userName;
                fields["password"] = password;
            }
            else if (html.Contains("name=\"decision\"", StringComparison.Ordinal))
            {
                fields["decision"] = decision;
            }
            else
            {
                throw new InvalidOperationException("A form that is neither login nor consent: " + html[..Math.Min(html.Length, 600)]);
            }

            url = new Uri(url, form.Value.Action);
            body = new FormUrlEncodedContent(fields);
        }

        throw new InvalidOperationException("Too many hops in the authorization flow.");
    }

    /// <summary>
    /// Walks from <paramref name="url"/> signing in as <paramref name="user"/> (password: the user name) and, with a
    /// <paramref name="decision"/>, answering the consent page; stops at the first answer that is neither a redirect on this
    /// server nor a form to fill. Without a decision it stops at the consent page and returns its form, filled with "allow".
    /// </summary>
    /// <returns>The last answer; where it sent the browser when that left the server; the consent form when it stopped there.</returns>
    public async Task<(HttpResponseMessage Response, Uri? Left, (Uri Action, Dictionary<string, string> Fields)? Consent)> WalkAsync(Uri url, string user, string? decision = null)
    {
        HttpContent? body = null;
        for (var hop = 0; hop < 8; hop++)
        {
            var response = await SendAsync(url, body);
            body = null;
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var next = new Uri(url, location);
                if (next.GetLeftPart(UriPartial.Authority) != url.GetLeftPart(UriPartial.Authority))
                {
                    return (response, next, null);
                }

                url = next;
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK || ParseForm(html) is not var (action, fields))
            {
                return (response, null, null);
            }

            if (html.Contains("name=\"username\"", StringComparison.Ordinal))
            {
                fields["username"] = user;
                fields["password"] = user;
            }
            else if (html.Contains("name=\"decision\"", StringComparison.Ordinal))
            {
                fields["decision"] = decision ?? "allow";
                if (decision is null)
                {
                    return (response, null, (new Uri(url, action), fields));
                }
            }
            else
            {
                return (response, null, null);
            }

            url = new Uri(url, action);
            body = new FormUrlEncodedContent(fields);
        }

        throw new InvalidOperationException("Too many hops in the authorization flow.");
    }

    /// <summary>Sends a GET (or a form POST) with the cookies collected so far.</summary>
    public async Task<HttpResponseMessage> SendAsync(Uri url, HttpContent? form = null)
    {
        using var request = new HttpRequestMessage(form is null ? HttpMethod.Get : HttpMethod.Post, url) { Content = form };
        var cookieHeader = _cookies.GetCookieHeader(url);
        if (cookieHeader.Length > 0)
        {
            request.Headers.Add("Cookie", cookieHeader);
        }

        var response = await http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var setCookie in setCookies)
            {
                _cookies.SetCookies(url, setCookie);
            }
        }

        return response;
    }

    public static (string Action, Dictionary<string, string> Hidden)? ParseForm(string html)
    {
        var form = FormRegex().Match(html);
        if (!form.Success)
        {
            return null;
        }

        var hidden = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match input in HiddenRegex().Matches(html))
        {
            hidden[WebUtility.HtmlDecode(input.Groups["name"].Value)] = WebUtility.HtmlDecode(input.Groups["value"].Value);
        }

        return (WebUtility.HtmlDecode(form.Groups["action"].Value), hidden);
    }

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]*)\"")]
    private static partial Regex FormRegex();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"\\s*/?>")]
    private static partial Regex HiddenRegex();
}
