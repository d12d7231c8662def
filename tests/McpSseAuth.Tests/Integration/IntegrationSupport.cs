using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace McpSseAuth.Tests.Integration;

/// <summary>One sample app (test server, users alice and bob) shared by the tests of a class: each app start costs time.</summary>
public sealed class SampleAppFixture : IAsyncLifetime
{
    // Failed sign-ins are throttled per user name; tests that sign in wrongly on purpose must not throttle the others.
    public SampleApp App { get; } = new(configure: o => o.SignIn.MaxFailedAttempts = 1_000);

    /// <summary>Follows no redirects, keeps no cookies.</summary>
    public HttpClient CreateClient() => App.CreateRawClient();

    public Task InitializeAsync()
    {
        _ = App.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>A consent page reached by a signed-in browser, with the form it carries.</summary>
internal sealed record OpenConsent(Browser Browser, Uri Url, HttpResponseMessage Response, string Html, Uri Action, Dictionary<string, string> Fields)
{
    /// <summary>Posts the consent form with <paramref name="decision"/>, and optionally a replaced field.</summary>
    public Task<HttpResponseMessage> SubmitAsync(string decision, string? requestId = null)
    {
        var fields = new Dictionary<string, string>(Fields, StringComparer.Ordinal) { ["decision"] = decision };
        if (requestId is not null)
        {
            fields["request_id"] = requestId;
        }

        return Browser.SendAsync(Action, new FormUrlEncodedContent(fields));
    }
}

/// <summary>Small helpers shared by the integration tests.</summary>
internal static class Http
{
    public const string Base = "http://localhost";
    public const string McpResource = Base + "/mcp";
    public const string SseResource = Base + "/sse";

    public const string InitializeBody =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"integration-test","version":"1.0"}}}""";

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts an RFC 6749 §5.2 error body: JSON object with the error code and a description.</summary>
    public static async Task<JsonElement> AssertOAuthErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(error, root.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("error_description").GetString()));
        return root.Clone();
    }

    /// <summary>Asserts an HTML error page of the authorization server: status, HTML, never framed, never a redirect.</summary>
    public static async Task<string> AssertErrorPageAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {html}");
        Assert.Null(response.Headers.Location);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("Authorization failed", html, StringComparison.Ordinal);
        return html;
    }

    public static Dictionary<string, string> Query(Uri location)
        => QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    public static Uri Location(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode is HttpStatusCode.Found or HttpStatusCode.Redirect or HttpStatusCode.SeeOther,
            $"Expected a redirect, got {(int)response.StatusCode}");
        return new Uri(new Uri(Base), response.Headers.Location!);
    }

    public static string WwwAuthenticate(HttpResponseMessage response)
        => response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : "";

    /// <summary>Goes from an authorization URL through the login page to the consent page, as <paramref name="user"/>.</summary>
    public static async Task<OpenConsent> OpenConsentAsync(HttpClient http, Uri authorizeUrl, string user)
    {
        var browser = new Browser(http);
        var login = Location(await browser.SendAsync(authorizeUrl));
        var loginPage = await browser.SendAsync(login);
        var loginHtml = await loginPage.Content.ReadAsStringAsync();
        var loginForm = Browser.ParseForm(loginHtml) ?? throw new InvalidOperationException("No login form: " + loginHtml);
        var fields = loginForm.Hidden;
        fields["username"] = user;
        fields["password"] = user;
        var back = Location(await browser.SendAsync(new Uri(login, loginForm.Action), new FormUrlEncodedContent(fields)));

        var consent = await browser.SendAsync(back);
        var html = await consent.Content.ReadAsStringAsync();
        Assert.True(consent.StatusCode == HttpStatusCode.OK, $"Expected the consent page, got {(int)consent.StatusCode}: {html}");
        var form = Browser.ParseForm(html) ?? throw new InvalidOperationException("No consent form: " + html);
        return new OpenConsent(browser, back, consent, html, new Uri(back, form.Action), form.Hidden);
    }

    /// <summary>A Streamable HTTP initialize request, optionally with a bearer token.</summary>
    public static HttpRequestMessage McpInitialize(string path, string? accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(InitializeBody, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return request;
    }

    /// <summary>Sends without reading the body, which for MCP may be a stream.</summary>
    public static Task<HttpResponseMessage> SendHeadersAsync(HttpClient http, HttpRequestMessage request)
        => http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
}
