using McpSseAuth.Resources;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Http;

/// <summary>The authorization server's URIs as a request sees them, for links in tool results and pages.</summary>
public static class McpOAuthHttpContextExtensions
{
    /// <summary>
    /// The issuer: <see cref="McpSseAuth.McpOAuthOptions.Issuer"/>, or, when none is configured, the request's scheme,
    /// host and path base — exactly as the metadata and the tokens name it.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The issuer, without a trailing slash.</returns>
    /// <exception cref="InvalidOperationException"><c>AddMcpOAuth()</c> was not called.</exception>
    public static string GetMcpOAuthIssuer(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Uris(context).Issuer(context);
    }

    /// <summary>An absolute URI of a path under the issuer, e.g. of <see cref="McpSseAuth.McpOAuthPathOptions.ServiceTokens"/>.</summary>
    /// <param name="context">The request.</param>
    /// <param name="path">The path.</param>
    /// <returns>The absolute URI.</returns>
    /// <exception cref="InvalidOperationException"><c>AddMcpOAuth()</c> was not called.</exception>
    public static string GetMcpOAuthUri(this HttpContext context, PathString path)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Uris(context).Under(context, path);
    }

    private static ServerUris Uris(HttpContext context)
        => context.RequestServices.GetService<ServerUris>()
           ?? throw new InvalidOperationException("You must call AddMcpOAuth() first. Call builder.Services.AddMcpOAuth(o => ...) in application startup code.");
}
