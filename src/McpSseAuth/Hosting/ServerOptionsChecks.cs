using McpSseAuth.Clients;
using Microsoft.AspNetCore.Components;

namespace McpSseAuth.Hosting;

/// <summary>The settings at the top of <see cref="McpOAuthOptions"/>, its <c>Paths</c> and the pages' layout: where the server is and answers.</summary>
internal static class ServerOptionsChecks
{
    public static void Check(McpOAuthOptions options, List<string> failures)
    {
        if (options.Issuer is { } issuer)
        {
            if (!issuer.IsAbsoluteUri)
            {
                failures.Add($"McpOAuthOptions.Issuer must be an absolute URL such as https://mcp.example.com (got '{issuer}').");
            }
            else if (!string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment))
            {
                failures.Add($"McpOAuthOptions.Issuer must have no query or fragment (RFC 8414 §2); remove them from '{issuer}'.");
            }
            else if (issuer.Scheme != Uri.UriSchemeHttps && !(issuer.Scheme == Uri.UriSchemeHttp && (RedirectUriRules.IsLoopbackHost(issuer) || options.AllowInsecureHttp)))
            {
                failures.Add($"McpOAuthOptions.Issuer must use https (got '{issuer}'). Use an https URL, or set AllowInsecureHttp = true for development on a trusted network.");
            }
        }

        foreach (var origin in options.AllowedOrigins.Where(o => Mcp.OriginGuard.Canonical(o) is not { } c || !string.Equals(c, o.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add($"McpOAuthOptions.AllowedOrigins has '{origin}', which is not an origin: write scheme://host[:port] (http or https), without path, query or user.");
        }

        if (options.Pages.Layout is { } layout && !typeof(LayoutComponentBase).IsAssignableFrom(layout))
        {
            failures.Add($"McpOAuthOptions.Pages.Layout is {layout.FullName}, which is not a Razor layout: set a component deriving from LayoutComponentBase, or null for McpSseAuth's own.");
        }

        var paths = options.Paths;
        foreach (var (label, path) in new[]
        {
            (nameof(paths.Authorization), paths.Authorization),
            (nameof(paths.Token), paths.Token),
            (nameof(paths.Revocation), paths.Revocation),
            (nameof(paths.Introspection), paths.Introspection),
            (nameof(paths.Registration), paths.Registration),
            (nameof(paths.Jwks), paths.Jwks),
            (nameof(paths.Login), paths.Login),
            (nameof(paths.Consent), paths.Consent),
            (nameof(paths.Logout), paths.Logout),
            (nameof(paths.ConnectedApps), paths.ConnectedApps),
            (nameof(paths.ServiceTokens), paths.ServiceTokens),
            (nameof(paths.Operator), paths.Operator),
        })
        {
            if (!path.HasValue || path.Value!.Length < 2)
            {
                failures.Add($"McpOAuthOptions.Paths.{label} must be a path such as /oauth/x.");
            }
        }
    }
}
