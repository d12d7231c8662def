using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// The cookie that remembers a sign-in to the authorization server: HttpOnly, SameSite=Lax, Secure and
/// <c>__Host-</c> prefixed when the issuer is https.
/// </summary>
internal sealed class SignInCookieSetup(IOptions<McpOAuthOptions> options) : IConfigureNamedOptions<CookieAuthenticationOptions>, IConfigureOptions<AntiforgeryOptions>
{
    /// <summary>The anti-forgery cookie of the login and consent forms: Secure when the issuer is https.</summary>
    public void Configure(AntiforgeryOptions antiforgery)
    {
        if (options.Value.Issuer?.Scheme == Uri.UriSchemeHttps)
        {
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        }
    }

    public void Configure(CookieAuthenticationOptions cookie) => Configure(Options.DefaultName, cookie);

    public void Configure(string? name, CookieAuthenticationOptions cookie)
    {
        if (name != McpOAuthDefaults.SignInCookieScheme)
        {
            return;
        }

        var o = options.Value;
        var https = o.Issuer?.Scheme == Uri.UriSchemeHttps;
        cookie.Cookie.Name = https ? "__Host-mcp-oauth" : "mcp-oauth";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Lax;
        cookie.Cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        cookie.Cookie.Path = "/";
        cookie.LoginPath = o.LoginPath;
        cookie.LogoutPath = o.LogoutPath;
        cookie.ReturnUrlParameter = "ReturnUrl";
        cookie.ExpireTimeSpan = o.SignInLifetime;
        cookie.SlidingExpiration = false;
    }
}
