using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth.Claims;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// Takes over the sign-in of every scheme named in <see cref="McpOAuthSignInOptions.Schemes"/>, whatever its options type
/// (registered as an open generic, it sees <c>OpenIdConnectOptions</c>, <c>GoogleOptions</c>, <c>OAuthOptions</c>...):
/// the upstream result lands in <see cref="McpOAuthDefaults.ExternalCookieScheme"/> for <see cref="ExternalSignIn"/> to
/// check, with the upstream tokens saved for <see cref="IMcpUserTokens"/>; a failed or cancelled upstream sign-in
/// returns to the login page with a message instead of an unhandled exception.
/// </summary>
internal sealed class ExternalSchemeSetup<TOptions>(IOptions<McpOAuthOptions> mcpOptions, Telemetry.SecurityAudit audit) : IPostConfigureOptions<TOptions>
    where TOptions : RemoteAuthenticationOptions
{
    public void PostConfigure(string? name, TOptions options)
    {
        // The constraint keeps DI from making one for every options type of the app (it skips unmet constraints).
        if (name is null || !mcpOptions.Value.SignIn.Schemes.Contains(name, StringComparer.Ordinal))
        {
            return;
        }

        var remote = (RemoteAuthenticationOptions)options;

        remote.SignInScheme = McpOAuthDefaults.ExternalCookieScheme;
        remote.SaveTokens = true;
        if (options is OpenIdConnectOptions oidc)
        {
            ReadUserInfo(oidc, mcpOptions.Value.SignIn.AccessRules);
        }

        var events = remote.Events;
        var previous = events.OnRemoteFailure;
        events.OnRemoteFailure = async context =>
        {
            await previous(context);
            if (context.Result is not null)
            {
                return;
            }

            await audit.UpstreamSignInFailedAsync(context.HttpContext, name, context.Failure?.Message ?? "unknown");
            var login = context.Request.PathBase + mcpOptions.Value.Paths.Login;
            var query = new Dictionary<string, string?> { ["error"] = "upstream" };
            if (context.Properties?.Items.TryGetValue(ExternalSignIn.ReturnUrlItem, out var returnUrl) == true && returnUrl is not null)
            {
                query["ReturnUrl"] = returnUrl;
            }

            context.Response.Redirect(QueryHelpers.AddQueryString(login.ToUriComponent(), query));
            context.HandleResponse();
        };
    }

    /// <summary>
    /// OpenID Connect Core §5.4: a provider may release <c>email</c>, <c>email_verified</c>, <c>hd</c>, groups and roles only
    /// from its UserInfo endpoint, not in the ID token. The access rules read them, so they are fetched from UserInfo and
    /// kept (the handler's default claim actions keep only sub, names, profile and email from there).
    /// </summary>
    private static readonly string[] RuleClaims = ["email", "email_verified", "hd"];

    private static void ReadUserInfo(OpenIdConnectOptions oidc, McpOAuthAccessRules rules)
    {
        oidc.GetClaimsFromUserInfoEndpoint = true;
        foreach (var type in RuleClaims.Concat(rules.GroupClaimTypes).Concat(rules.RoleClaimTypes).Distinct(StringComparer.Ordinal))
        {
            if (type.Contains(':', StringComparison.Ordinal) || oidc.ClaimActions.Any(a => a.ClaimType == type && a is JsonKeyClaimAction))
            {
                continue;   // a URI claim type is a mapped name, not a UserInfo member; a member already kept stays as configured
            }

            oidc.ClaimActions.MapJsonKey(type, type);
        }
    }
}
