namespace McpSseAuth.Tests.Docs;

/// <summary>
/// A TLS-terminating reverse proxy as nginx is usually set up: plain HTTP to the app, the public host in <c>Host</c>
/// (or in <c>X-Forwarded-Host</c>), the public scheme in <c>X-Forwarded-Proto</c>, and a path prefix stripped and sent
/// as <c>X-Forwarded-Prefix</c>.
/// </summary>
internal sealed class ReverseProxy(Uri upstream, string? prefix, bool forwardedHost)
    : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var original = request.RequestUri!;
        var path = original.AbsolutePath;
        if (prefix is not null)
        {
            Assert.StartsWith(prefix + "/", path, StringComparison.Ordinal);
            path = path[prefix.Length..];
            request.Headers.Add("X-Forwarded-Prefix", prefix);
        }

        request.RequestUri = new Uri(upstream, path + original.Query);
        if (forwardedHost)
        {
            request.Headers.Add("X-Forwarded-Host", original.Authority);
        }
        else
        {
            request.Headers.Host = original.Authority;
        }

        request.Headers.Add("X-Forwarded-Proto", original.Scheme);
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        return base.SendAsync(request, cancellationToken);
    }
}
