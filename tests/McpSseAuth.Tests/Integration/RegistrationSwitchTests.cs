using System.Net;
using System.Net.Http.Json;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Dynamic client registration is deprecated in MCP 2026-07-28 in favour of Client ID Metadata Documents; a host can turn
/// it off (<see cref="McpOAuthRegistrationOptions.Enabled"/>): no endpoint, none advertised, metadata documents still on.
/// </summary>
public sealed class RegistrationSwitchTests
{
    [Fact]
    public async Task RegistrationOff_TheEndpointIsGone_AndTheMetadataNamesNone_ButMetadataDocuments()
    {
        await using var app = new SampleApp(configure: o => o.Registration.Enabled = false);
        using var http = app.CreateRawClient();

        var metadata = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.False(metadata.TryGetProperty("registration_endpoint", out _));
        Assert.True(metadata.GetProperty("client_id_metadata_document_supported").GetBoolean());

        using var register = await http.PostAsJsonAsync("/oauth/register", new { redirect_uris = new[] { "http://127.0.0.1:3000/callback" } });
        Assert.Equal(HttpStatusCode.NotFound, register.StatusCode);
    }

    [Fact]
    public async Task RegistrationOn_ByDefault_IsAdvertisedAndAnswers()
    {
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();

        var metadata = await Http.ReadJsonAsync(await http.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.EndsWith("/oauth/register", metadata.GetProperty("registration_endpoint").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(await new OAuthFlow(http).RegisterAsync()));
    }
}
