using Microsoft.Playwright;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (the README's test command installs the <c>chromium</c> package; Playwright's own
/// browser download is not used). A missing browser fails the test.
/// </summary>
public static class Chromium
{
    private static readonly string[] Candidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var executable = Candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed: run 'apt-get install chromium' (the README's test command does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // No background traffic: this machine reaches only loopback.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    /// <summary>Where <see cref="ScreenshotAsync"/> writes: artifacts/screenshots, next to the test results (ignored by git).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(Repository.Root, "artifacts", "screenshots");

    /// <summary>Saves the whole page as <c>{name}.png</c> in <see cref="ScreenshotFolder"/>, a test artifact; returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>
    /// A new page that collects every script dialog (none may open) and plays a client's redirect URI: a request to
    /// <paramref name="callback"/> completes <c>Arrived</c> with its URL and gets a plain answer.
    /// </summary>
    public static async Task<(IPage Page, List<string> Dialogs, Task<Uri> Arrived)> OpenAsClientAsync(IBrowser browser, string callback)
    {
        var page = await browser.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => { dialogs.Add(dialog.Message); _ = dialog.DismissAsync(); };
        var arrived = new TaskCompletionSource<Uri>();
        await page.RouteAsync(callback + "**", async route =>
        {
            arrived.TrySetResult(new Uri(route.Request.Url));
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/plain", Body = "client received the response" });
        });
        return (page, dialogs, arrived.Task);
    }
}
