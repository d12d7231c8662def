using Microsoft.AspNetCore.Authentication.OAuth;

namespace McpSseAuth.GatewayHost;

/// <summary>
/// Services users connect rather than paste a token for, from the file: a server's <c>userToken.oauth</c> (the service's
/// OAuth endpoints, a client registered with it, scopes) becomes an OAuth scheme of ASP.NET Core, <c>connect-{name}</c>,
/// with its callback at <c>/signin-connect-{name}</c>, and the server's <c>userToken.connectScheme</c>. The client secret
/// belongs in user secrets or the environment (<c>mcpServers__{name}__userToken__oauth__clientSecret</c>).
/// </summary>
internal static class GatewayConnections
{
    /// <summary>Registers a scheme per server that configures one; returns server name → scheme.</summary>
    public static Dictionary<string, string> AddFromConfiguration(WebApplicationBuilder builder)
    {
        var schemes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var server in builder.Configuration.GetSection("mcpServers").GetChildren())
        {
            var section = server.GetSection("userToken:oauth");
            if (!section.Exists())
            {
                continue;
            }

            var settings = section.Get<ConnectSettings>() ?? new ConnectSettings();
            var scheme = "connect-" + server.Key;
            builder.Services.AddAuthentication().AddOAuth(scheme, o =>
            {
                o.AuthorizationEndpoint = settings.AuthorizationEndpoint ?? "";
                o.TokenEndpoint = settings.TokenEndpoint ?? "";
                o.ClientId = settings.ClientId ?? "";
                o.ClientSecret = settings.ClientSecret ?? "";
                o.CallbackPath = "/signin-" + scheme;
                o.UsePkce = settings.UsePkce;
                foreach (var scope in settings.Scopes)
                {
                    o.Scope.Add(scope);
                }

                foreach (var (name, value) in settings.AuthorizationParameters)
                {
                    o.AdditionalAuthorizationParameters[name] = value;
                }
            });
            schemes[server.Key] = scheme;
        }

        return schemes;
    }

    /// <summary>What a <c>userToken.oauth</c> section lacks, each with its place in the file.</summary>
    public static IEnumerable<string> Problems(IConfiguration configuration)
    {
        foreach (var server in configuration.GetSection("mcpServers").GetChildren())
        {
            var section = server.GetSection("userToken:oauth");
            if (!section.Exists())
            {
                continue;
            }

            var settings = section.Get<ConnectSettings>() ?? new ConnectSettings();
            var at = $"mcpServers.{server.Key}.userToken.oauth";
            foreach (var (name, value) in new[] { ("authorizationEndpoint", settings.AuthorizationEndpoint), ("tokenEndpoint", settings.TokenEndpoint) })
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
                {
                    yield return $"{at}.{name}: the service's {name} must be an absolute https URL.";
                }
            }

            if (string.IsNullOrEmpty(settings.ClientId))
            {
                yield return $"{at}.clientId: the id of the client registered with the service is missing.";
            }
        }
    }

    /// <summary>A server's <c>userToken.oauth</c> section.</summary>
    internal sealed class ConnectSettings
    {
        public string? AuthorizationEndpoint { get; set; }

        public string? TokenEndpoint { get; set; }

        public string? ClientId { get; set; }

        public string? ClientSecret { get; set; }

        public IList<string> Scopes { get; } = [];

        public bool UsePkce { get; set; } = true;

        /// <summary>More parameters for the authorization request, e.g. <c>prompt</c>.</summary>
        public IDictionary<string, string> AuthorizationParameters { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
    }
}
