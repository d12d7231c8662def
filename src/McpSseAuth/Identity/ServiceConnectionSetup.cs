using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// Takes over every scheme named as a service's <see cref="McpServiceTokenDefinition.ConnectScheme"/>, whatever its
/// options type: its answer lands in <see cref="McpOAuthDefaults.ExternalCookieScheme"/> with the tokens saved, for the
/// service-tokens page to keep (<c>ServiceTokensEndpoint.HandleConnectedAsync</c>); the user is not signed in by it. A
/// failed or cancelled connection returns to the page with a message instead of an unhandled exception.
/// </summary>
internal sealed class ServiceConnectionSetup<TOptions>(IOptions<McpOAuthOptions> mcpOptions, ILoggerFactory loggers) : IPostConfigureOptions<TOptions>
    where TOptions : RemoteAuthenticationOptions
{
    public void PostConfigure(string? name, TOptions options)
    {
        if (name is null || !mcpOptions.Value.ServiceTokens.Any(s => string.Equals(s.ConnectScheme, name, StringComparison.Ordinal)))
        {
            return;
        }

        options.SignInScheme = McpOAuthDefaults.ExternalCookieScheme;
        options.SaveTokens = true;
        var logger = loggers.CreateLogger<ExternalSignIn>();
        var events = options.Events;
        var previous = events.OnRemoteFailure;
        events.OnRemoteFailure = async context =>
        {
            await previous(context);
            if (context.Result is not null)
            {
                return;
            }

            Log.ServiceConnectionFailed(logger, name, context.Failure?.Message ?? "unknown");
            context.Response.Redirect((context.Request.PathBase + mcpOptions.Value.Paths.ServiceTokens).ToUriComponent() + "?done=failed");
            context.HandleResponse();
        };
    }
}
