using McpSseAuth;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace McpSseAuth.SampleServer;

/// <summary>
/// The sample's upstream identity provider, switched on by configuration alone: an "Upstream" section with at least
/// Authority and ClientId turns on OpenID Connect sign-in (Google, Entra ID, Okta, Auth0, Keycloak, ...).
/// </summary>
public sealed class UpstreamSignInSettings
{
    /// <summary>The provider's issuer URL, e.g. https://accounts.google.com.</summary>
    public string? Authority { get; set; }

    /// <summary>The client id registered with the provider.</summary>
    public string? ClientId { get; set; }

    /// <summary>The client secret (keep it in user secrets or the environment, not in appsettings.json).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Scopes to ask for; default openid, profile, email and offline_access (for a refresh token).</summary>
    public IList<string> Scopes { get; } = [];

    /// <summary>The scheme name, also used in the login page's link. Default <c>upstream</c>.</summary>
    public string SchemeName { get; set; } = "upstream";

    /// <summary>The button text: "Sign in with {DisplayName}". Default <c>your organisation</c>.</summary>
    public string DisplayName { get; set; } = "your organisation";

    /// <summary>The redirect path to register with the provider. Default <c>/signin-upstream</c>.</summary>
    public string CallbackPath { get; set; } = "/signin-upstream";
}

internal static class UpstreamSignIn
{
    /// <summary>Adds the OpenID Connect scheme when configured; returns its name, or null.</summary>
    public static string? AddFromConfiguration(WebApplicationBuilder builder)
    {
        var settings = new UpstreamSignInSettings();
        builder.Configuration.GetSection("Upstream").Bind(settings);
        if (string.IsNullOrEmpty(settings.Authority) || string.IsNullOrEmpty(settings.ClientId))
        {
            return null;
        }

        var authority = new Uri(settings.Authority);
        builder.Services.AddAuthentication().AddOpenIdConnect(settings.SchemeName, settings.DisplayName, o =>
        {
            o.Authority = settings.Authority;
            o.ClientId = settings.ClientId;
            o.ClientSecret = settings.ClientSecret;
            o.ResponseType = "code";
            o.CallbackPath = settings.CallbackPath;
            o.Scope.Clear();
            foreach (var scope in settings.Scopes.Count > 0 ? settings.Scopes : ["openid", "profile", "email", "offline_access"])
            {
                o.Scope.Add(scope);
            }

            // Claims under their OpenID Connect names (sub, email, email_verified, hd, groups...).
            o.MapInboundClaims = false;
            o.GetClaimsFromUserInfoEndpoint = true;
            // Only a provider on this machine may be reached over plain http (development).
            o.RequireHttpsMetadata = !(authority.Scheme == Uri.UriSchemeHttp && authority.IsLoopback);
        });
        return settings.SchemeName;
    }
}
