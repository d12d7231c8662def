using System.Net;
using McpSseAuth.Tests.Infrastructure;
using McpSseAuth.Tests.Integration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tests.Telemetry;

/// <summary>
/// The audit trail: each security event — sign-ins failed and succeeded, consent given, denied and withdrawn, a client
/// registered, a replayed code revoking its grant, revocations by the client and the operator, a user removed — reaches
/// <see cref="McpOAuthEvents.OnSecurityEvent"/> and the log category <see cref="McpOAuthDefaults.AuditCategory"/> with the
/// same stable id, and nothing secret.
/// </summary>
public sealed class AuditTrailTests
{
    [Fact]
    public async Task SecurityEvents_ReachTheEventsApi_AndTheAuditCategory_WithTheirStableIds()
    {
        var events = new List<McpSecurityEventContext>();
        var logs = new LogCapture();
        await using var app = new SampleApp(
            configure: o =>
            {
                o.SignIn.MaxFailedAttempts = 1;
                o.Events.OnSecurityEvent = e =>
                {
                    lock (events)
                    {
                        events.Add(e);
                    }

                    return Task.CompletedTask;
                };
            },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        var http = app.CreateRawClient();
        var flow = new OAuthFlow(http);

        // A failed sign-in, then one refused as throttled.
        var (throttled, _, _) = await new Browser(http).WalkAsync(flow.AuthorizeUrl(await flow.RegisterAsync("Never used"), Integration.Http.McpResource), "mallory");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);

        // Registered, signed in, allowed; the code redeemed, then replayed.
        var clientId = await flow.RegisterAsync("Audited client");
        var browser = new Browser(http);
        var code = Integration.Http.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(clientId, Integration.Http.McpResource), "alice", "alice"))["code"];
        var tokens = await Integration.Http.ReadJsonAsync(await flow.RedeemAsync(clientId, code));
        Assert.Equal(HttpStatusCode.BadRequest, (await flow.RedeemAsync(clientId, code)).StatusCode);

        // Denied by bob.
        var denied = await flow.RegisterAsync("Denied client");
        await new Browser(http).AuthorizeAsync(flow.AuthorizeUrl(denied, Integration.Http.McpResource), "bob", "bob", decision: "deny");

        // Revoked by the client itself (RFC 7009), on a grant of its own.
        var second = await flow.GetTokensAsync(Integration.Http.McpResource, user: "bob");
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = second.ClientId,
            ["token"] = second.RefreshToken,
        }))).StatusCode);

        // Withdrawn by alice on her connected-apps page, for a client she allowed again.
        var third = await flow.RegisterAsync("Withdrawn client");
        var thirdCode = Integration.Http.Query(await browser.AuthorizeAsync(flow.AuthorizeUrl(third, Integration.Http.McpResource), "alice", "alice"))["code"];
        Assert.Equal(HttpStatusCode.OK, (await flow.RedeemAsync(third, thirdCode)).StatusCode);
        var page = await browser.SendAsync(new Uri("http://localhost/oauth/apps"));
        var (field, value) = AccountPageSupport.AntiforgeryField(await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.SendAsync(new Uri("http://localhost/oauth/apps"), new FormUrlEncodedContent(new Dictionary<string, string> { [field] = value, ["client_id"] = third }))).StatusCode);

        // The operator revokes a client of bob's, then removes him.
        var access = app.Services.GetRequiredService<IMcpUserAccess>();
        var bobsGrant = await flow.GetTokensAsync(Integration.Http.McpResource, user: "bob");
        var bob = Assert.Single(await access.ListGrantsAsync(SubjectOf(bobsGrant.AccessToken))).Subject;
        await access.RevokeClientAsync(bob, bobsGrant.ClientId);
        await access.RemoveUserAsync(bob);

        McpSecurityEventContext[] seen;
        lock (events)
        {
            seen = [.. events];
        }

        (McpSecurityEvent Kind, int Id, string? ClientId)[] expected =
        [
            (McpSecurityEvent.SignInFailed, 1204, null),
            (McpSecurityEvent.SignInFailed, 1205, null),
            (McpSecurityEvent.ClientRegistered, 1101, clientId),
            (McpSecurityEvent.SignedIn, 1203, null),
            (McpSecurityEvent.ConsentGiven, 1202, clientId),
            (McpSecurityEvent.TokenReplayed, 1303, clientId),
            (McpSecurityEvent.ConsentDenied, 1202, denied),
            (McpSecurityEvent.GrantRevoked, 1305, second.ClientId),
            (McpSecurityEvent.ConsentWithdrawn, 1210, third),
            (McpSecurityEvent.GrantRevoked, 1211, bobsGrant.ClientId),
            (McpSecurityEvent.UserAccessRemoved, 1211, null),
        ];
        foreach (var (kind, id, client) in expected)
        {
            Assert.Contains(seen, e => e.Event == kind && e.EventId == id && (client is null || e.ClientId == client));
        }

        // Each one also in the audit category with its id, at the time it happened.
        var audit = logs.Entries.Where(e => e.Category == McpOAuthDefaults.AuditCategory).ToList();
        Assert.All(seen, e => Assert.Contains(audit, log => log.EventId.Id == e.EventId));
        Assert.All(seen, e => Assert.InRange(e.Time, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow));
        Assert.Contains(seen, e => e.Event == McpSecurityEvent.SignedIn && e.Subject is { Length: > 0 } && e.HttpContext is not null);
        Assert.Contains(seen, e => e.Event == McpSecurityEvent.UserAccessRemoved && e.Subject == bob && e.HttpContext is null);

        // Nothing secret in the trail.
        var secrets = new[] { tokens.GetProperty("access_token").GetString()!, tokens.GetProperty("refresh_token").GetString()!, code, second.RefreshToken, flow.Verifier };
        foreach (var text in audit.Select(l => l.Message).Concat(seen.Select(e => e.Detail ?? "")))
        {
            Assert.DoesNotContain(secrets, secret => text.Contains(secret, StringComparison.Ordinal));
        }
    }

    private static string SubjectOf(string accessToken)
        => System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(accessToken.Split('.')[1])).RootElement.GetProperty("sub").GetString()!;
}
