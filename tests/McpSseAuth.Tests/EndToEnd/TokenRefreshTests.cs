using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpSseAuth.Tests.EndToEnd;

/// <summary>When the access token expires, the C# SDK client refreshes it with the rotated refresh token and carries on, without a new sign-in.</summary>
public sealed class TokenRefreshTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly SampleApp _app;

    private readonly List<string> _grants = [];

    public TokenRefreshTests() => _app = new SampleApp(
        kestrel: true,
        configure: o => o.Events.OnTokenIssued = issued =>
        {
            lock (_grants)
            {
                _grants.Add(issued.GrantType);
            }

            return Task.CompletedTask;
        },
        services: s => s.AddSingleton<TimeProvider>(_time));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    [Compatibility("C# SDK 2.4.0", "streamable", "refresh")]
    public async Task SdkClient_AfterAccessTokenExpires_RefreshesAndKeepsCallingTools()
    {
        var signIns = 0;
        await using var client = await SdkClients.ConnectAsync(new Uri(_app.BaseAddress, "/mcp"), HttpTransportMode.StreamableHttp, "alice", onSignIn: () => signIns++);
        Assert.Equal(1, signIns);

        _time.Advance(TimeSpan.FromHours(2));   // past the 1 hour access token lifetime and the clock skew

        var result = await client.CallToolAsync("whoami");
        Assert.Contains("user=alice", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, StringComparison.Ordinal);
        Assert.Equal(1, signIns);
        Assert.Equal(["authorization_code", "refresh_token"], _grants);
    }
}
