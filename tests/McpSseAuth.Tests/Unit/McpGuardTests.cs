using System.Diagnostics.Metrics;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using McpSseAuth.Http;
using McpSseAuth.Mcp;
using McpSseAuth.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelContextProtocol;

namespace McpSseAuth.Tests.Unit;

/// <summary>The MCP request guards' parts, each alone: the message reader, the owner guard, the refusal, the challenge writer.</summary>
public sealed class McpGuardTests
{
    private static HttpContext Posting(string body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Response.Body = new MemoryStream();
        return context;
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}""", "tools/call", "7", "echo")]
    [InlineData("""{"jsonrpc":"2.0","id":"a-1","method":"resources/read","params":{"uri":"file:///x"}}""", "resources/read", "a-1", null)]
    [InlineData("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", "notifications/initialized", null, null)]
    public async Task Message_IsReadWithTheSdkTypes_AndTheBodyRewound(string body, string method, string? id, string? name)
    {
        var context = Posting(body);

        var message = await McpMessage.ReadOnceAsync(context);

        Assert.NotNull(message);
        Assert.Equal(method, message.Method);
        Assert.Equal(id, message.RequestId?.ToString());
        Assert.Equal(name, message.Parameter("name"));
        Assert.Equal(0, context.Request.Body.Position);
        Assert.Equal(body, await new StreamReader(context.Request.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task Message_IsReadOncePerRequest_WhoeverAsks()
    {
        var context = Posting("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}""");

        var first = McpMessage.ReadOnceAsync(context);
        var second = McpMessage.ReadOnceAsync(context);

        Assert.Same(first, second);
        Assert.Equal("echo", (await second)!.Parameter("name"));
        Assert.NotSame(first, McpMessage.ReadOnceAsync(Posting("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}""")));
    }

    [Theory]
    [InlineData("""{"id":1,"method":"tools/call"}""")]                      // no jsonrpc: 2.0
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"tools/call"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":null,"method":"tools/call"}""")]   // MCP: a request id is never null
    [InlineData("""{"jsonrpc":"2.0","id":1.5,"method":"tools/call"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":42}""")]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""")]
    [InlineData("""not json""")]
    public async Task Message_ThatIsNotOneJsonRpcMessage_IsNull(string body)
        => Assert.Null(await McpMessage.ReadOnceAsync(Posting(body)));

    [Fact]
    public async Task Message_Cancellation_NamesTheCancelledRequest()
    {
        var message = await McpMessage.ReadOnceAsync(Posting("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"r-9","reason":"user"}}"""));
        Assert.Equal("r-9", message!.Cancels?.ToString());

        var other = await McpMessage.ReadOnceAsync(Posting("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":true}}"""));
        Assert.Null(other!.Cancels);
    }

    [Fact]
    public async Task OwnerGuard_RefusesAnotherClientOfTheSameUser_WithAJsonRpcErrorAndTheEvent()
    {
        string? refusedReason = null;
        var options = new McpOAuthOptions();
        options.Events.OnSessionRefused = c =>
        {
            refusedReason = c.Reason;
            return Task.CompletedTask;
        };
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var registry = new McpSessionRegistry(new Grants.GrantRevocationSignal(), TimeProvider.System, Options.Create(options), NullLogger<McpSessionRegistry>.Instance);
        var refusals = new McpRefusals(new SessionMetrics(meters.GetRequiredService<IMeterFactory>(), registry), Options.Create(options), NullLogger<McpRefusals>.Instance);
        var guard = new SessionOwnerGuard(refusals);
        var context = Posting("{}");
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice"), new Claim("client_id", "other")], "test"));

        Assert.True(await guard.AdmitsAsync(Posting("{}"), new McpCaller("alice", "app", null), "alice", "app"));
        Assert.False(await guard.AdmitsAsync(context, McpCaller.From(context.User), "alice", "app"));

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
        Assert.Equal("binding", refusedReason);
        context.Response.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal("2.0", body.RootElement.GetProperty("jsonrpc").GetString());
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("id").ValueKind);
        Assert.Equal((int)McpErrorCode.InvalidRequest, body.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("Forbidden: this session belongs to another user or another client.", body.RootElement.GetProperty("error").GetProperty("message").GetString());
        registry.Dispose();
    }

    [Fact]
    public void JsonRpcError_CarriesTheRequestId()
    {
        using var body = JsonDocument.Parse(JsonRpcErrors.RpcError(McpErrorCode.ParseError, "x", new ModelContextProtocol.Protocol.RequestId(12)));
        Assert.Equal(12, body.RootElement.GetProperty("id").GetInt64());
        Assert.Equal(-32700, body.RootElement.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public void Challenge_WritesItsParametersInOneOrder_AndEscapesQuotedStrings()
    {
        var challenge = AuthenticateChallenge.Bearer() with
        {
            ErrorDescription = "say \"no\" \\ é",
            ResourceMetadata = "https://h/.well-known/oauth-protected-resource/mcp",
            Scope = "mcp:tools files:write",
            Error = "insufficient_scope",
        };

        Assert.Equal(
            "Bearer error=\"insufficient_scope\", scope=\"mcp:tools files:write\", resource_metadata=\"https://h/.well-known/oauth-protected-resource/mcp\", error_description=\"say \\\"no\\\" \\\\ ?\"",
            challenge.ToString());
        Assert.Equal("Basic realm=\"oauth\"", AuthenticateChallenge.Basic("oauth").ToString());
        Assert.Equal("Bearer", AuthenticateChallenge.Bearer().ToString());
    }
}
