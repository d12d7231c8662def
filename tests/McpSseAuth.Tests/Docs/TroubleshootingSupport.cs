using System.Reflection;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace McpSseAuth.Tests.Docs;

/// <summary>Runs <c>UseForwardedHeaders</c> first in the app's pipeline, as a proxied app does in its Program.cs.</summary>
internal sealed class ForwardedHeadersFirst : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseForwardedHeaders();
        next(app);
    };
}

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

/// <summary>A storage that can be switched off: every call then fails as an unreachable one does.</summary>
public class DownSwitch : DispatchProxy
{
    private IMcpOAuthStorage _inner = null!;

    private volatile bool _down;

    public bool Down { get => _down; set => _down = value; }

    public static IMcpOAuthStorage Create(IMcpOAuthStorage inner)
    {
        var storage = Create<IMcpOAuthStorage, DownSwitch>();
        ((DownSwitch)(object)storage)._inner = inner;
        return storage;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (Down)
        {
            throw new McpStorageUnavailableException("The test storage is down.");
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
