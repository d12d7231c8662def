using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace McpSseAuth.Http;

/// <summary>
/// CORS for the endpoints a browser-based MCP client (such as the MCP Inspector) calls directly: metadata, JWKS,
/// registration and token. Any origin, no credentials: these endpoints use no cookies, so cross-origin reads expose
/// nothing that is not public or already the caller's (the response of its own token request).
/// </summary>
internal sealed class PublicCors(ICorsService cors)
{
    private static readonly CorsPolicy Policy = new CorsPolicyBuilder()
        .AllowAnyOrigin()
        .AllowAnyHeader()
        .WithMethods(HttpMethods.Get, HttpMethods.Post)
        .WithExposedHeaders(HeaderNames.WWWAuthenticate, "DPoP-Nonce")
        .SetPreflightMaxAge(TimeSpan.FromHours(1))
        .Build();

    /// <summary>Adds the CORS headers; true when the request was a preflight, now answered.</summary>
    public bool Apply(HttpContext context)
    {
        if (!context.Request.Headers.ContainsKey(HeaderNames.Origin))
        {
            return false;
        }

        var result = cors.EvaluatePolicy(context, Policy);
        cors.ApplyResult(result, context.Response);
        if (!result.IsPreflightRequest)
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return true;
    }

    /// <summary>Wraps an endpoint so it answers preflights and adds CORS headers.</summary>
    public RequestDelegate Wrap(RequestDelegate next) => context => Apply(context) ? Task.CompletedTask : next(context);
}
