using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// A 2026-07-28 request names its method and target in <c>Mcp-Method</c> / <c>Mcp-Name</c> (MCP 2026-07-28, Streamable
/// HTTP, "Standard Request Headers", SEP-2243), and the scope decision rests on them; "Server Validation": a server that
/// processes the body MUST refuse headers that disagree with it with 400 and -32020. The attacker's tests: headers naming a
/// tool the token may call over a body calling one it may not.
/// </summary>
public sealed class StandardHeadersTests : IAsyncLifetime
{
    private readonly SampleApp _app = new();
    private HttpClient _http = null!;
    private string _basic = "";

    public async Task InitializeAsync()
    {
        _http = _app.CreateRawClient();
        _basic = (await new OAuthFlow(_http).GetTokensAsync(Http.McpResource, scope: "mcp:tools")).AccessToken;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private static string Call(string tool, string nameMembers = "") =>
        """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{""" + nameMembers + "\"name\":\"" + tool + "\"" +
        ""","arguments":{"message":"hi"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}""";

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string body, string? method, string? name, string version = "2026-07-28")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _basic);
        request.Headers.Add("MCP-Protocol-Version", version);
        if (method is not null)
        {
            request.Headers.Add("Mcp-Method", method);
        }

        if (name is not null)
        {
            request.Headers.Add("Mcp-Name", name);
        }

        var response = await _http.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HeadersAndBodyAgreeing_OnAToolTheTokenMayCall_Run()
    {
        var (response, body) = await PostAsync(Call("echo"), "tools/call", "echo");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("hi", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadersNamingAToolThatNeedsMoreScope_GetTheStepUpChallenge()
    {
        var (response, body) = await PostAsync(Call("server_stats"), "tools/call", "server_stats");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("scope=\"mcp:tools mcp:admin\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"id\":7", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDecisionRestsOnTheHeaders_NotOnTheBody()
    {
        // Headers naming the tool that needs more scope over a body calling one that does not: refused on the headers
        // (403 step-up) before the SDK would have refused the disagreement (400).
        var (response, _) = await PostAsync(Call("echo"), "tools/call", "server_stats");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("mcp:admin", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_HeadersNamingAnAllowedTool_OverABodyCallingAnother_AreRefused400_AndNothingRuns()
    {
        var (response, body) = await PostAsync(Call("server_stats"), "tools/call", "echo");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("-32020", body, StringComparison.Ordinal);
        Assert.DoesNotContain("sessions=", body, StringComparison.Ordinal);   // what server_stats answers
    }

    [Fact]
    public async Task Attack_HeadersNamingAnAllowedMethod_OverABodyCallingATool_AreRefused400()
    {
        var (response, body) = await PostAsync(Call("server_stats"), "tools/list", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("-32020", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_TheAllowedNameInTheBody_BesideTheToolInAnotherLetterCase_DoesNotRunTheTool()
    {
        // The header check compares "name"; a reading that matched names without case could call "Name".
        var (response, body) = await PostAsync(Call("echo", nameMembers: "\"Name\":\"server_stats\","), "tools/call", "echo");

        Assert.DoesNotContain("sessions=", body, StringComparison.Ordinal);   // what server_stats answers
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.Forbidden, $"{(int)response.StatusCode} {body}");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Contains("hi", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ABase64Name_IsDecodedForTheDecision()
    {
        var encoded = "=?base64?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("server_stats")) + "?=";

        var (response, _) = await PostAsync(Call("server_stats"), "tools/call", encoded);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task OnAnOlderRevision_TheHeadersDecideNothing_TheBodyDoes()
    {
        // 2025-06-18 defines no such headers, so nothing holds them to the body: a lying header must not let the call in.
        var (response, _) = await PostAsync(
            """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"server_stats","arguments":{}}}""", "tools/call", "echo", version: "2025-06-18");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("mcp:admin", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
