using System.Net;
using System.Net.Sockets;
using System.Text;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>
/// The login and consent pages in a real browser: the forms work under their Content-Security-Policy (including the
/// redirect to the client after the consent POST), nothing the client names runs as script, and no page can be framed.
/// </summary>
public sealed class BrowserPagesTests() : SampleInChromium
{
    private const string Callback = "http://127.0.0.1:7777/callback";

    private string Resource => new Uri(App.BaseAddress, "/mcp").ToString();

    /// <summary>Opens the authorization URL, signs in, presses a consent button; returns the URL the browser was sent to.</summary>
    private async Task<(Uri Callback, List<string> Dialogs, string ConsentText)> RunAsync(string clientName, string decision)
    {
        using var http = App.CreateRawClient();
        var flow = new OAuthFlow(http);
        var clientId = await flow.RegisterAsync(clientName, Callback);

        var (page, dialogs, arrived) = await Chromium.OpenAsClientAsync(Browser, Callback);

        await page.GotoAsync(flow.AuthorizeUrl(clientId, Resource, Callback).ToString());
        await page.FillAsync("#username", "alice");
        await page.FillAsync("#password", "alice");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("button[name=decision]");
        var consentText = await page.InnerTextAsync("body");
        await page.ClickAsync($"button[name=decision][value={decision}]");

        var callback = await arrived.WaitAsync(TimeSpan.FromSeconds(15));
        return (callback, dialogs, consentText);
    }

    [Fact]
    public async Task Browser_SignsInAndAllows_ClientReceivesCodeStateAndIssuer()
    {
        var (callback, dialogs, consent) = await RunAsync("Browser test client", "allow");

        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.False(string.IsNullOrEmpty(query["code"]));
        Assert.False(string.IsNullOrEmpty(query["state"]));
        Assert.Equal(App.BaseAddress.ToString().TrimEnd('/'), query["iss"].ToString());
        Assert.Contains("Browser test client", consent, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:7777", consent, StringComparison.Ordinal);
        Assert.Empty(dialogs);
    }

    [Fact]
    public async Task Browser_Denies_ClientReceivesAccessDenied()
    {
        var (callback, _, _) = await RunAsync("Browser test client", "deny");

        Assert.Equal("access_denied", QueryHelpers.ParseQuery(callback.Query)["error"].ToString());
    }

    [Fact]
    public async Task Browser_ClientNameWithMarkup_IsShownAsTextAndNeverRuns()
    {
        const string hostile = "Evil <img src=x onerror=alert(1)><script>alert(2)</script>";
        var (callback, dialogs, consent) = await RunAsync(hostile, "allow");

        Assert.Contains(hostile, consent, StringComparison.Ordinal);
        Assert.Empty(dialogs);
        Assert.False(string.IsNullOrEmpty(QueryHelpers.ParseQuery(callback.Query)["code"]));
    }

    [Fact]
    public async Task Browser_LoginPageInAnIframe_IsNotRendered()
    {
        var loginUrl = new Uri(App.BaseAddress, "/oauth/login").ToString();

        // Another origin on loopback serves a page that frames the login page.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var framingOrigin = $"http://localhost:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var serving = ServeOnceAsync(listener, $"<html><body><iframe id=f src=\"{loginUrl}\" width=600 height=400></iframe></body></html>");

        var page = await Browser.NewPageAsync();
        var framedResponse = page.WaitForResponseAsync(loginUrl, new PageWaitForResponseOptions { Timeout = 15_000 });
        await page.GotoAsync(framingOrigin + "/");
        await serving;

        // The framed page is fetched, and the browser refuses to render it (X-Frame-Options / frame-ancestors).
        var response = await framedResponse;
        Assert.Equal("DENY", await response.HeaderValueAsync("x-frame-options"));
        var child = page.Frames.Single(f => f != page.MainFrame);
        Assert.Null(await child.QuerySelectorAsync("#username"));
    }

    private static async Task ServeOnceAsync(TcpListener listener, string html)
    {
        using var client = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(15));
        var stream = client.GetStream();
        var buffer = new byte[8192];
        _ = await stream.ReadAsync(buffer);
        var body = Encoding.UTF8.GetBytes(html);
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(head);
        await stream.WriteAsync(body);
    }
}
