using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// The cookies that remember a sign-in to the authorization server (and carry a remote scheme's answer back): HttpOnly, SameSite=Lax, Secure and
/// <c>__Host-</c> prefixed when the issuer is https.
/// </summary>
internal sealed class SignInCookieSetup(IOptions<McpOAuthOptions> options) : IConfigureNamedOptions<CookieAuthenticationOptions>, IConfigureOptions<AntiforgeryOptions>
{
    /// <summary>The anti-forgery cookie of the forms: Secure and <c>__Host-</c> prefixed when the issuer is https.</summary>
    public void Configure(AntiforgeryOptions antiforgery)
    {
        if (options.Value.Issuer?.Scheme == Uri.UriSchemeHttps)
        {
            // __Host-: Secure, Path=/, no Domain, so no sibling host can plant or overwrite it.
            antiforgery.Cookie.Name = "__Host-mcp-oauth-af";
            antiforgery.Cookie.Path = "/";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        }
    }

    public void Configure(CookieAuthenticationOptions cookie) => Configure(Options.DefaultName, cookie);

    public void Configure(string? name, CookieAuthenticationOptions cookie)
    {
        var o = options.Value;
        var https = o.Issuer?.Scheme == Uri.UriSchemeHttps;
        if (name == McpOAuthDefaults.ExternalCookieScheme)
        {
            // Carries a remote scheme's answer from its callback to ours, read once; minutes are plenty.
            cookie.Cookie.Name = https ? "__Host-mcp-oauth-external" : "mcp-oauth-external";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.Path = "/";
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(10);
            cookie.SlidingExpiration = false;
            return;
        }

        if (name != McpOAuthDefaults.SignInCookieScheme)
        {
            return;
        }

        cookie.Cookie.Name = https ? "__Host-mcp-oauth" : "mcp-oauth";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Lax;
        cookie.Cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        cookie.Cookie.Path = "/";
        cookie.LoginPath = o.Paths.Login;
        cookie.LogoutPath = o.Paths.Logout;
        cookie.ReturnUrlParameter = "ReturnUrl";
        cookie.ExpireTimeSpan = o.SignIn.Lifetime;
        cookie.SlidingExpiration = false;
        cookie.EventsType = typeof(SignInCookieEvents);
    }
}
