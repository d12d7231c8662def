using System.Net;
using System.Net.Http.Json;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The registration policy: hosts a redirect URI may name, an initial access token, and a limit per client address that
/// counts the real client behind a reverse proxy. Every refusal is an RFC-shaped error and registers nothing.
/// </summary>
public sealed class RegistrationPolicyTests
{
    private static Task<HttpResponseMessage> RegisterAsync(HttpClient http, string redirectUri, string? bearer = null, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/register")
        {
            Content = JsonContent.Create(new Dictionary<string, object> { ["client_name"] = "Policy test", ["redirect_uris"] = new[] { redirectUri }, ["token_endpoint_auth_method"] = "none" }),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return http.SendAsync(request);
    }

    [Theory]
    [InlineData("https://claude.ai/api/mcp/auth_callback", true)]
    [InlineData("https://CLAUDE.ai/cb", true)]
    [InlineData("https://app.example.com/cb", true)]
    [InlineData("https://deep.app.example.com/cb", true)]
    [InlineData("http://127.0.0.1:33418/callback", true)]
    [InlineData("http://localhost:6274/oauth/callback", true)]
    [InlineData("https://example.com/cb", false)]
    [InlineData("https://notexample.com/cb", false)]
    [InlineData("https://claude.ai.evil.com/cb", false)]
    [InlineData("https://evil.com/cb", false)]
    public async Task AllowedRedirectHosts_DecideHttpsRedirects_LoopbackIsAlwaysAllowed(string redirectUri, bool allowed)
    {
        await using var app = new SampleApp(configure: o =>
        {
            o.RedirectUris.AllowedHosts.Add("claude.ai");
            o.RedirectUris.AllowedHosts.Add("*.example.com");
        });
        using var http = app.CreateRawClient();

        using var response = await RegisterAsync(http, redirectUri);

        if (allowed)
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        else
        {
            var error = await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_redirect_uri");
            Assert.Contains("host", error.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InitialAccessToken_WhenConfigured_IsRequired_AndComparedExactly()
    {
        const string token = "initial-access-token-0123456789abcdef";
        await using var app = new SampleApp(configure: o => o.Registration.AccessToken = token);
        using var http = app.CreateRawClient();

        using var missing = await RegisterAsync(http, "http://127.0.0.1/cb");
        await Http.AssertOAuthErrorAsync(missing, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.StartsWith("Bearer", missing.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var wrong = await RegisterAsync(http, "http://127.0.0.1/cb", bearer: token + "x");
        await Http.AssertOAuthErrorAsync(wrong, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Contains("error=\"invalid_token\"", wrong.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var right = await RegisterAsync(http, "http://127.0.0.1/cb", bearer: token);
        Assert.Equal(HttpStatusCode.Created, right.StatusCode);
    }

    [Fact]
    public async Task RegistrationsPerAddress_BeyondTheLimit_Are429WithRetryAfter()
    {
        await using var app = new SampleApp(configure: o => o.Registration.MaxPerAddress = 3);
        using var http = app.CreateRawClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(http, "http://127.0.0.1/cb")).StatusCode);
        }

        using var refused = await RegisterAsync(http, "http://127.0.0.1/cb");
        await Http.AssertOAuthErrorAsync(refused, HttpStatusCode.TooManyRequests, "temporarily_unavailable");
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task StoreFullOfClientsInUse_Answers503WithRetryAfter()
    {
        await using var app = new SampleApp(configure: o => o.Registration.MaxClients = 2);
        using var http = app.CreateRawClient();
        await new OAuthFlow(http).GetTokensAsync(Http.McpResource);
        await new OAuthFlow(http).GetTokensAsync(Http.McpResource);

        using var refused = await RegisterAsync(http, "http://127.0.0.1/cb");

        await Http.AssertOAuthErrorAsync(refused, HttpStatusCode.ServiceUnavailable, "temporarily_unavailable");
        Assert.Equal(TimeSpan.FromMinutes(10), refused.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task DefaultLimit_AnOfficeBehindOneAddress_HundredPeopleWithTwoClientsEach_IsNotLockedOut()
    {
        // docs/configuration.md: the default is sized for a NAT'd office connecting the same morning.
        await using var app = new SampleApp(configure: o => o.Registration.MaxPerAddress = new McpOAuthOptions().Registration.MaxPerAddress);
        using var http = app.CreateRawClient();

        for (var i = 0; i < 200; i++)
        {
            using var response = await RegisterAsync(http, "http://127.0.0.1/cb");
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        using var beyond = await RegisterAsync(http, "http://127.0.0.1/cb");
        Assert.Equal(HttpStatusCode.TooManyRequests, beyond.StatusCode);
    }

    [Fact]
    public async Task BehindAReverseProxy_EachForwardedClientAddressHasItsOwnBudget()
    {
        // The app runs the forwarded-headers middleware, as docs/configuration.md says to behind a proxy; Kestrel's caller
        // (127.0.0.1) is a known proxy by default.
        await using var app = new SampleApp(
            kestrel: true,
            configure: o => o.Registration.MaxPerAddress = 2,
            services: s =>
            {
                s.Configure<ForwardedHeadersOptions>(f => f.ForwardedHeaders = ForwardedHeaders.XForwardedFor);
                s.AddTransient<IStartupFilter, ForwardedHeadersFirst>();
            });
        using var http = app.CreateRawClient();

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(http, "http://127.0.0.1/cb", forwardedFor: "203.0.113.7")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await RegisterAsync(http, "http://127.0.0.1/cb", forwardedFor: "203.0.113.7")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(http, "http://127.0.0.1/cb", forwardedFor: "198.51.100.20")).StatusCode);
    }
}
