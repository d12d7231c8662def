using System.Net;
using System.Text;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// MCP 2026-07-28, client registration, "Application Type and Redirect URI Constraints" (SEP-837): <c>application_type</c>
/// decides which redirect URIs a client may register. A web application's are https on a host that is not loopback; a
/// native one's may be loopback http or a private-use scheme too; without one, as before.
/// </summary>
public sealed class ApplicationTypeTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(configure: o => o.RedirectUris.AllowedSchemes.Add("com.example.app"));
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _http = _app.CreateRawClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string Body)> RegisterAsync(string? applicationType, params string[] redirectUris)
    {
        var type = applicationType is null ? "" : $",\"application_type\":\"{applicationType}\"";
        var json = $"{{\"redirect_uris\":[{string.Join(',', redirectUris.Select(u => $"\"{u}\""))}]{type}}}";
        using var response = await _http.PostAsync("/oauth/register", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("http://127.0.0.1:3000/callback")]
    [InlineData("http://localhost/callback")]
    [InlineData("https://localhost:8443/callback")]
    [InlineData("com.example.app:/callback")]
    public async Task AWebApplication_WithALocalOrNonHttpsRedirect_IsRefused(string redirectUri)
    {
        var (status, body) = await RegisterAsync("web", "https://app.example.com/callback", redirectUri);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"error\":\"invalid_redirect_uri\"", body, StringComparison.Ordinal);
        Assert.Contains("application_type", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWebApplication_WithHttpsRedirects_Registers()
        => Assert.Equal(HttpStatusCode.Created, (await RegisterAsync("web", "https://app.example.com/callback")).Status);

    [Theory]
    [InlineData("native")]
    [InlineData(null)]
    public async Task ANativeApplication_OrOneThatSaysNothing_MayUseLoopbackAndPrivateUseSchemes(string? applicationType)
    {
        var (status, body) = await RegisterAsync(applicationType, "http://127.0.0.1:3000/callback", "com.example.app:/callback", "https://app.example.com/callback");

        Assert.True(status == HttpStatusCode.Created, body);
    }
}
