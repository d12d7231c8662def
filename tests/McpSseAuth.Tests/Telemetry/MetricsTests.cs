using System.Net;
using System.Text;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Telemetry;

/// <summary>
/// The metrics of McpSseAuth (docs/observability.md's table), exported through the sample's OpenTelemetry wiring: what
/// one sign-in, token exchange, refresh, replay, MCP session and a few refusals count, by their bounded attributes.
/// </summary>
[Collection(TelemetryTestGroup.Name)]
public sealed class MetricsTests
{
    [Fact]
    public async Task AFlowWithRefusals_IsCounted_ByGrant_Error_Outcome_AndOperation()
    {
        await using var capture = new TelemetryCapture(o => o.SignIn.MaxFailedAttempts = 2);
        var flow = new OAuthFlow(capture.Http);
        var tokens = await flow.GetTokensAsync(Integration.Http.McpResource);
        using var initialize = await McpWire.PostJsonAsync(capture.Http, "/mcp", McpWire.Initialize, tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(tokens.ClientId, tokens.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await flow.RefreshAsync(tokens.ClientId, "no-such-token")).StatusCode);
        using (var bogus = await McpWire.PostJsonAsync(capture.Http, "/mcp", McpWire.Initialize, "not-a-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bogus.StatusCode);
        }

        using (var refused = await capture.Http.PostAsync("/oauth/register", new StringContent("""{"redirect_uris":["http://evil.example/cb"]}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        // Wrong passwords until one too many (the walk signs in again on each login page it is shown).
        var (throttled, _, _) = await new Browser(capture.Http).WalkAsync(flow.AuthorizeUrl(tokens.ClientId, Integration.Http.McpResource), "bob-wrong");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);

        var subject = SubjectOf(tokens.AccessToken);
        var sessions = capture.App.Services.GetRequiredService<IMcpSessions>();
        Assert.Single(await sessions.WaitForCountAsync(subject, 1));
        Assert.Equal(1, capture.Gauge("mcpsseauth.sessions.active", ("mcpsseauth.transport", "streamable_http")));

        // A revocation by the operator, which ends the session.
        var access = capture.App.Services.GetRequiredService<IMcpUserAccess>();
        var grants = await access.ListGrantsAsync(subject);
        await access.RevokeGrantAsync(subject, grants[0].GrantId);
        Assert.Empty(await sessions.WaitForCountAsync(subject, 0));

        Assert.Equal(1, capture.Sum("mcpsseauth.tokens.issued", ("mcpsseauth.grant_type", "authorization_code")));
        Assert.Equal(1, capture.Sum("mcpsseauth.tokens.issued", ("mcpsseauth.grant_type", "refresh_token")));
        Assert.Equal(1, capture.Sum("mcpsseauth.tokens.refused", ("mcpsseauth.grant_type", "refresh_token"), ("error.type", "invalid_grant")));
        Assert.Equal(1, capture.Sum("mcpsseauth.registrations", ("mcpsseauth.outcome", "registered")));
        Assert.Equal(1, capture.Sum("mcpsseauth.registrations", ("mcpsseauth.outcome", "refused"), ("error.type", "invalid_redirect_uri")));
        Assert.Equal(1, capture.Sum("mcpsseauth.sign_ins", ("mcpsseauth.sign_in.method", "local"), ("mcpsseauth.outcome", "succeeded")));
        Assert.Equal(2, capture.Sum("mcpsseauth.sign_ins", ("mcpsseauth.sign_in.method", "local"), ("mcpsseauth.outcome", "failed")));
        Assert.Equal(1, capture.Sum("mcpsseauth.sign_ins", ("mcpsseauth.sign_in.method", "local"), ("mcpsseauth.outcome", "throttled")));
        Assert.Equal(1, capture.Sum("mcpsseauth.revocations", ("mcpsseauth.revocation.reason", "operator")));
        Assert.Equal(1, capture.Sum("mcpsseauth.access_tokens.refused"));
        Assert.Equal(0, capture.Gauge("mcpsseauth.sessions.active", ("mcpsseauth.transport", "streamable_http"))); // ended with its grant
        Assert.Equal(0, capture.Gauge("mcpsseauth.sse.requests_in_flight"));
        Assert.True(capture.Count("mcpsseauth.storage.operation.duration", ("mcpsseauth.storage.operation", "try_take"), ("mcpsseauth.outcome", "ok")) >= 2);
        Assert.True(capture.Count("mcpsseauth.storage.operation.duration", ("mcpsseauth.storage.operation", "get"), ("mcpsseauth.outcome", "ok")) >= 1);

        // Bounded attributes: no client or user id on any metric.
        foreach (var name in new[] { "mcpsseauth.tokens.issued", "mcpsseauth.tokens.refused", "mcpsseauth.registrations", "mcpsseauth.sign_ins", "mcpsseauth.revocations", "mcpsseauth.access_tokens.refused" })
        {
            Assert.All(capture.Attributes(name), tags => Assert.DoesNotContain(tags.Values, v => Equals(v, tokens.ClientId) || Equals(v, "alice")));
        }
    }

    private static string SubjectOf(string accessToken)
        => System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(accessToken.Split('.')[1])).RootElement.GetProperty("sub").GetString()!;
}
