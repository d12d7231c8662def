using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Unit;

public sealed class ServerUrisTests
{
    private static ServerUris Uris(Uri? issuer = null)
        => new(Options.Create(new McpOAuthOptions { Issuer = issuer }));

    private static DefaultHttpContext Request(string scheme, string host, string pathBase = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.PathBase = new PathString(pathBase.Length == 0 ? null : pathBase);
        context.Request.Path = "/oauth/token";
        return context;
    }

    [Theory]
    [InlineData("HTTPS://MCP.Example.COM/", "https://mcp.example.com")]
    [InlineData("https://mcp.example.com:443/", "https://mcp.example.com")]
    [InlineData("http://mcp.example.com:80", "http://mcp.example.com")]
    [InlineData("https://mcp.example.com:8443/", "https://mcp.example.com:8443")]
    [InlineData("http://localhost:5000/", "http://localhost:5000")]
    [InlineData("https://mcp.example.com/Tenant/MCP/", "https://mcp.example.com/Tenant/MCP")]
    [InlineData("https://mcp.example.com/mcp?x=1#f", "https://mcp.example.com/mcp")]
    [InlineData("http://[::1]:5000/", "http://[::1]:5000")]
    [InlineData("https://[::1]/", "https://[::1]")]
    [InlineData("http://[2001:DB8::1]:8080/mcp", "http://[2001:db8::1]:8080/mcp")]
    [InlineData("https://b\u00fccher.example/mcp", "https://xn--bcher-kva.example/mcp")]
    public void Canonical_NormalisesSchemeHostPortAndTrailingSlash_KeepingPathCase(string input, string expected)
        => Assert.Equal(expected, ServerUris.Canonical(new Uri(input)));

    [Fact]
    public void Canonical_IsIdempotent()
    {
        var once = ServerUris.Canonical(new Uri("HTTPS://[2001:DB8::1]:443/A/B/"));
        Assert.Equal(once, ServerUris.Canonical(new Uri(once)));
    }

    [Theory]
    [InlineData("https://mcp.example.com/mcp", "https://mcp.example.com/mcp")]
    [InlineData("HTTPS://MCP.EXAMPLE.COM:443/mcp/", "https://mcp.example.com/mcp")]
    [InlineData("http://localhost:5000/sse", "http://localhost:5000/sse")]
    public void CanonicalResource_AbsoluteHttpUri_IsCanonicalised(string input, string expected)
        => Assert.Equal(expected, ServerUris.CanonicalResource(input));

    [Theory]
    [InlineData("https://mcp.example.com/mcp#section")]
    [InlineData("https://mcp.example.com/mcp#")]
    public void CanonicalResource_WithFragment_IsRefused(string input)
        => Assert.Null(ServerUris.CanonicalResource(input));

    [Theory]
    [InlineData("https://mcp.example.com/mcp?tenant=1")]
    [InlineData("https://mcp.example.com/mcp?x")]
    public void CanonicalResource_WithQuery_IsRefused(string input)
        => Assert.Null(ServerUris.CanonicalResource(input));

    [Theory]
    [InlineData("ftp://mcp.example.com/mcp")]
    [InlineData("urn:example:mcp")]
    [InlineData("file:///mcp")]
    [InlineData("wss://mcp.example.com/mcp")]
    public void CanonicalResource_NonHttpScheme_IsRefused(string input)
        => Assert.Null(ServerUris.CanonicalResource(input));

    [Theory]
    [InlineData("/mcp")]
    [InlineData("mcp")]
    [InlineData("")]
    [InlineData("//mcp.example.com/mcp")]
    public void CanonicalResource_RelativeUri_IsRefused(string input)
        => Assert.Null(ServerUris.CanonicalResource(input));

    [Theory]
    [InlineData("https", "MCP.Example.com", "", "https://mcp.example.com")]
    [InlineData("https", "mcp.example.com:443", "", "https://mcp.example.com")]
    [InlineData("http", "localhost:5000", "", "http://localhost:5000")]
    [InlineData("http", "127.0.0.1:5000", "/Base", "http://127.0.0.1:5000/Base")]
    [InlineData("http", "[::1]:5000", "/tenant/", "http://[::1]:5000/tenant")]
    public void Issuer_WhenNotConfigured_IsDerivedFromSchemeHostAndPathBase(string scheme, string host, string pathBase, string expected)
        => Assert.Equal(expected, Uris().Issuer(Request(scheme, host, pathBase)));

    [Fact]
    public void Issuer_WhenConfigured_IgnoresTheRequestHost()
    {
        var uris = Uris(new Uri("https://MCP.example.com/tenant/"));
        Assert.Equal("https://mcp.example.com/tenant", uris.Issuer(Request("http", "evil.example:8080", "/other")));
    }

    [Fact]
    public void Under_AppendsPathToIssuer()
    {
        var uris = Uris(new Uri("https://mcp.example.com/tenant"));
        Assert.Equal("https://mcp.example.com/tenant/oauth/token", uris.Under(new DefaultHttpContext(), "/oauth/token"));
    }

    [Fact]
    public void Resource_TrimsTrailingSlashAndKeepsPathCase()
    {
        var context = Request("http", "localhost:5000", "/Base");
        Assert.Equal("http://localhost:5000/Base/MCP", Uris().Resource(context, "/MCP/"));
    }

    [Fact]
    public void Resource_AgreesWithCanonicalResourceOfTheSameUri()
    {
        // A client that sends back the resource it discovered must match byte for byte.
        var context = Request("https", "mcp.example.com", "");
        var published = Uris().Resource(context, "/sse");
        Assert.Equal(published, ServerUris.CanonicalResource(published));
        Assert.Equal(published, ServerUris.CanonicalResource("HTTPS://MCP.EXAMPLE.COM:443/sse/"));
    }
}
