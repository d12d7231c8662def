using System.Text;
using McpSseAuth.Mcp;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// <c>Mcp-Method</c> / <c>Mcp-Name</c> (MCP 2026-07-28, Streamable HTTP, "Standard Request Headers" and "Value Encoding"):
/// read only for revisions that define them, the name decoded from its Base64 form, anything unreadable left to the body.
/// </summary>
public sealed class StandardHeadersTests
{
    private static HttpRequest Request(string? version, string? method, string? name)
    {
        var request = new DefaultHttpContext().Request;
        if (version is not null)
        {
            request.Headers["MCP-Protocol-Version"] = version;
        }

        if (method is not null)
        {
            request.Headers["Mcp-Method"] = method;
        }

        if (name is not null)
        {
            request.Headers["Mcp-Name"] = name;
        }

        return request;
    }

    [Theory]
    [InlineData("2026-07-28", "tools/call", "echo", "tools/call", "echo")]
    [InlineData("2027-01-15", "prompts/get", " greet ", "prompts/get", "greet")]
    [InlineData("2026-07-28", "resources/read", "file:///a b.txt", "resources/read", "file:///a b.txt")]
    [InlineData("2026-07-28", "tools/list", null, "tools/list", null)]
    public void ARevisionWithTheHeaders_NamesMethodAndTarget(string version, string method, string? name, string expectedMethod, string? expectedTarget)
        => Assert.Equal(new PeekTarget(true, expectedMethod, expectedTarget), StandardHeaders.Read(Request(version, method, name)));

    [Theory]
    [InlineData("2025-11-25", "tools/call", "echo")]   // defines no such headers: nothing holds them to the body
    [InlineData(null, "tools/call", "echo")]
    [InlineData("2026-07-28", null, "echo")]
    [InlineData("2026-07-28", "tools/call", null)]   // a call without its name
    [InlineData("2026-07-28", "tools/call", "=?base64?not base64?=")]
    [InlineData("2026-07-28", "tools/call", "caf\u00e9")]   // not visible ASCII: must be sent Base64-encoded
    [InlineData("2026-07-28", "", "echo")]
    public void WhatCannotBeRead_DecidesNothing(string? version, string? method, string? name)
        => Assert.Null(StandardHeaders.Read(Request(version, method, name)));

    [Fact]
    public void AnEncodedName_IsDecoded_AndAPlainOneKept()
    {
        Assert.Equal("Hello, 世界", StandardHeaders.Decode("=?base64?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("Hello, 世界")) + "?="));
        Assert.Equal("=?base64?literal?=", StandardHeaders.Decode("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="));
        Assert.Equal("us-west1", StandardHeaders.Decode("us-west1"));
        Assert.Null(StandardHeaders.Decode("=?base64?" + Convert.ToBase64String([0xff, 0xfe]) + "?="));   // not UTF-8
    }
}
