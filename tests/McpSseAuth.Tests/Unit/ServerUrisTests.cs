using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// Without a configured issuer, each request's issuer comes from its scheme, Host header and path base. The last one
/// derived is kept for the next request; whatever differs (host, scheme, path base, a Host that cannot be used) is
/// derived again, never answered from another request's.
/// </summary>
public sealed class ServerUrisTests
{
    private readonly ServerUris _uris = new(Options.Create(new McpOAuthOptions()));

    private static DefaultHttpContext Request(string scheme, string? host, string pathBase = "", int localPort = 5000)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        if (host is not null)
        {
            context.Request.Headers.Host = host;
        }

        context.Request.PathBase = pathBase;
        context.Connection.LocalIpAddress = System.Net.IPAddress.Loopback;
        context.Connection.LocalPort = localPort;
        return context;
    }

    [Fact]
    public void Requests_AlternatingBetweenHostsSchemesAndPathBases_EachGetTheirOwnIssuerAndResource()
    {
        (DefaultHttpContext Context, string Issuer)[] requests =
        [
            (Request("https", "Example.COM"), "https://example.com"),
            (Request("https", "example.com:8443"), "https://example.com:8443"),
            (Request("http", "example.com"), "http://example.com"),
            (Request("https", "example.com", "/tenant"), "https://example.com/tenant"),
            (Request("https", "xn--a.example", localPort: 7001), "https://127.0.0.1:7001"),
            (Request("https", "xn--a.example", localPort: 7002), "https://127.0.0.1:7002"),
            (Request("https", null, localPort: 7003), "https://127.0.0.1:7003"),
        ];

        for (var round = 0; round < 2; round++)
        {
            foreach (var (context, issuer) in requests)
            {
                context.Items.Clear();
                Assert.Equal(issuer, _uris.Issuer(context));
                Assert.Equal(issuer + "/mcp", _uris.Resource(context, "/mcp"));
                Assert.Equal(issuer + "/sse", _uris.Resource(context, "/sse"));
                Assert.Equal(issuer + "/mcp", _uris.Resource(context, "/mcp"));
            }
        }
    }
}
