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
}
