using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Server;

namespace McpSseAuth.Tests.Integration;

/// <summary>A tool that needs a second round trip (MCP 2026-07-28, multi round-trip requests) and keeps its state sealed.</summary>
[McpServerToolType]
public sealed class TwoStepTools
{
    [McpServerTool(Name = "two_step")]
    public static string TwoStep(RequestContext<CallToolRequestParams> context, IMcpRequestState states)
    {
        if (context.Params?.RequestState is { } echoed)
        {
            return states.Open(context.User!, "two_step", echoed) is { } state
                ? "resumed:" + state
                : throw new McpProtocolException("The request state was refused.", McpErrorCode.InvalidParams);
        }

        throw new InputRequiredException(inputRequests: null, requestState: states.Seal(context.User!, "two_step", "step-1"));
    }
}

/// <summary>
/// <see cref="IMcpRequestState"/> over real 2026-07-28 requests to the sample: the state a tool returns comes back through
/// the client, sealed; the attacker's tests change it and replay it with another user's token.
/// </summary>
public sealed class RequestStateTests : IAsyncLifetime
{
    private readonly SampleApp _app = new(services: s => s.AddMcpServer().WithTools<TwoStepTools>());
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

    private async Task<string> TokenAsync(string user)
        => (await new OAuthFlow(_http).GetTokensAsync(Http.McpResource, user, "mcp:tools")).AccessToken;

    private async Task<JsonElement> CallAsync(string token, string? requestState)
    {
        var state = requestState is null ? "" : ",\"requestState\":" + JsonSerializer.Serialize(requestState);
        var body = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"two_step","arguments":{}""" + state +
                   ""","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "tools/call");
        request.Headers.Add("Mcp-Name", "two_step");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        var json = text.TrimStart().StartsWith('{') ? text : text.Split('\n').Last(l => l.StartsWith("data:", StringComparison.Ordinal))["data:".Length..];
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static string SealedStateOf(JsonElement answer)
        => answer.GetProperty("result").GetProperty("requestState").GetString()!;

    [Fact]
    public async Task TheStateComesBackSealed_AndResumesTheCall()
    {
        var alice = await TokenAsync("alice");

        var first = await CallAsync(alice, null);
        var sealedState = SealedStateOf(first);
        Assert.DoesNotContain("step-1", sealedState, StringComparison.Ordinal);

        var second = await CallAsync(alice, sealedState);
        Assert.Contains("resumed:step-1", second.GetProperty("result").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_AChangedState_OrAnotherUsersState_IsRefused()
    {
        var alice = await TokenAsync("alice");
        var bob = await TokenAsync("bob");
        var sealedState = SealedStateOf(await CallAsync(alice, null));
        var middle = sealedState.Length / 2;
        var changed = sealedState[..middle] + (sealedState[middle] == 'A' ? 'B' : 'A') + sealedState[(middle + 1)..];

        foreach (var (token, state) in new[] { (alice, changed), (bob, sealedState) })
        {
            var answer = await CallAsync(token, state);
            Assert.DoesNotContain("resumed", answer.GetRawText(), StringComparison.Ordinal);
            Assert.Equal((int)McpErrorCode.InvalidParams, answer.GetProperty("error").GetProperty("code").GetInt32());
        }
    }
}
