using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Telemetry;

/// <summary>
/// The spans of McpSseAuth (docs/observability.md), exported through the sample's OpenTelemetry wiring: one per step that
/// matters, each a child of ASP.NET Core's request span, tagged with the client, the grant type and the error — and never
/// with a token, a code, a verifier or, unless the host allows it, the user.
/// </summary>
[Collection(TelemetryTestGroup.Name)]
public sealed class TracingTests
{
    [Fact]
    public async Task EachStep_IsASpan_ChildOfItsRequestSpan_TaggedAndWithoutSecrets()
    {
        await using var capture = new TelemetryCapture();
        var flow = new OAuthFlow(capture.Http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Integration.Http.McpResource))["code"];
        var redeemed = await flow.RedeemAsync(clientId, code);
        var tokens = JsonDocument.Parse(await redeemed.Content.ReadAsStringAsync()).RootElement;
        var access = tokens.GetProperty("access_token").GetString()!;
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        using (var initialize = await McpWire.PostJsonAsync(capture.Http, "/mcp", McpWire.Initialize, access))
        {
            Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(clientId, refresh)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await flow.RefreshAsync(clientId, refresh)).StatusCode); // inside the reuse window
        var replayedCode = await flow.RedeemAsync(clientId, code); // a spent code: its grant is revoked
        Assert.Equal(HttpStatusCode.BadRequest, replayedCode.StatusCode);
        using (var revoked = await McpWire.PostJsonAsync(capture.Http, "/mcp", McpWire.Initialize, access))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        }

        var spans = await capture.SettledSpansAsync();
        var ours = spans.Where(s => s.Source.Name == McpOAuthDefaults.TelemetryName).ToList();
        foreach (var name in new[] { "mcpsseauth.register", "mcpsseauth.authorize", "mcpsseauth.sign_in", "mcpsseauth.consent", "mcpsseauth.token", "mcpsseauth.bearer.validate", "mcpsseauth.mcp.guards" })
        {
            Assert.Contains(ours, s => s.OperationName == name);
        }

        // Children of ASP.NET Core's request spans, in the caller's trace.
        var requests = spans.Where(s => s.Source.Name == "Microsoft.AspNetCore").ToDictionary(s => s.SpanId);
        Assert.All(ours, span => Assert.True(
            requests.ContainsKey(span.ParentSpanId) || ours.Any(o => o.SpanId == span.ParentSpanId),
            $"{span.OperationName} is not inside a request span"));

        var grants = ours.Where(s => s.OperationName == "mcpsseauth.token").ToList();
        Assert.Contains(grants, s => Tag(s, "mcpsseauth.grant_type") == "authorization_code" && Tag(s, "error.type") is null && Tag(s, "mcpsseauth.client_id") == clientId);
        Assert.Equal(2, grants.Count(s => Tag(s, "mcpsseauth.grant_type") == "refresh_token" && s.Status != ActivityStatusCode.Error));
        Assert.Contains(grants, s => Tag(s, "mcpsseauth.grant_type") == "authorization_code" && Tag(s, "error.type") == "invalid_grant" && s.Status == ActivityStatusCode.Error);
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.bearer.validate" && Tag(s, "mcpsseauth.client_id") == clientId && Tag(s, "error.type") is null);
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.bearer.validate" && Tag(s, "error.type") == "grant revoked");
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.mcp.guards" && Tag(s, "mcpsseauth.transport") == "streamable_http");

        // The guards' span ends where the SDK's handling begins: it is not the request's length.
        var guards = ours.First(s => s.OperationName == "mcpsseauth.mcp.guards");
        Assert.True(guards.Duration <= requests[guards.Parent?.SpanId ?? guards.ParentSpanId].Duration);

        // Nothing secret, and no user (not allowed by default).
        var secrets = new[] { access, refresh, code, flow.Verifier, access.Split('.')[2] };
        foreach (var span in spans)
        {
            Assert.DoesNotContain(span.Tags, t => t.Key == "user.id");
            foreach (var tag in span.TagObjects)
            {
                var value = tag.Value?.ToString() ?? "";
                Assert.DoesNotContain(secrets, secret => value.Contains(secret, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task TheUser_IsTagged_OnlyWhenTheHostAllowsIt()
    {
        await using var capture = new TelemetryCapture(o => o.Telemetry.IncludeUserId = true);
        var flow = new OAuthFlow(capture.Http);
        var tokens = await flow.GetTokensAsync(Integration.Http.McpResource);
        using (var initialize = await McpWire.PostJsonAsync(capture.Http, "/mcp", McpWire.Initialize, tokens.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
        }

        var subject = JsonDocument.Parse(Base64UrlDecode(tokens.AccessToken.Split('.')[1])).RootElement.GetProperty("sub").GetString();
        var ours = capture.Spans.Where(s => s.Source.Name == McpOAuthDefaults.TelemetryName).ToList();
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.token" && Tag(s, "user.id") == subject);
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.bearer.validate" && Tag(s, "user.id") == subject);
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.sign_in" && Tag(s, "user.id") == subject);
    }

    [Fact]
    public async Task Refusals_CarryTheirError()
    {
        await using var capture = new TelemetryCapture();
        using var registration = await capture.Http.PostAsync("/oauth/register", new StringContent("""{"redirect_uris":["http://evil.example/cb"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, registration.StatusCode);
        using var authorize = await capture.Http.GetAsync("/oauth/authorize?response_type=code&client_id=nobody");
        using var bogus = await McpWire.PostJsonAsync(capture.Http, "/mcp", McpWire.Initialize, "not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, bogus.StatusCode);

        var ours = capture.Spans.Where(s => s.Source.Name == McpOAuthDefaults.TelemetryName).ToList();
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.register" && Tag(s, "error.type") == "invalid_redirect_uri" && s.Status == ActivityStatusCode.Error);
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.authorize" && Tag(s, "error.type") is { Length: > 0 });
        Assert.Contains(ours, s => s.OperationName == "mcpsseauth.bearer.validate" && Tag(s, "error.type") is { Length: > 0 } && s.Status == ActivityStatusCode.Error);
    }

    private static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    private static byte[] Base64UrlDecode(string value) => System.Buffers.Text.Base64Url.DecodeFromChars(value);
}
