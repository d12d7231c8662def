using Microsoft.Playwright;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>A sample server on real Kestrel and a headless Chromium, for tests that click through the pages; both stop with the test class.</summary>
public abstract class SampleInChromium(Action<McpOAuthOptions>? configure = null) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;

    protected SampleApp App { get; } = new(kestrel: true, configure: configure);

    protected IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync() => (_playwright, Browser) = await Chromium.LaunchAsync();

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        await App.DisposeAsync();
    }
}
