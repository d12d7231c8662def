using McpSseAuth.Clients;

namespace McpSseAuth.Hosting;

/// <summary>The <c>EnterpriseIdentityProviders</c>: whom the identity assertion grant trusts, and for which clients.</summary>
internal static class EnterpriseOptionsChecks
{
    public static void Check(McpOAuthOptions options, List<string> failures)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var issuers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.EnterpriseIdentityProviders.Count; i++)
        {
            var provider = options.EnterpriseIdentityProviders[i];
            var label = $"McpOAuthOptions.EnterpriseIdentityProviders[{i}]";
            if (string.IsNullOrWhiteSpace(provider.Name) || !names.Add(provider.Name))
            {
                failures.Add($"{label}.Name is empty or used twice: give each provider its own short name, e.g. okta.");
            }

            if (!Uri.TryCreate(provider.Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("https" or "http") || !issuers.Add(provider.Issuer))
            {
                failures.Add($"{label}.Issuer must be the provider's issuer URL, exactly as its grants' iss says, once (got '{provider.Issuer}').");
            }
            else if (issuer.Scheme == "http" && !issuer.IsLoopback && !options.AllowInsecureHttp)
            {
                failures.Add($"{label}.Issuer must use https (got '{provider.Issuer}').");
            }

            if (provider.JwksJson is { } jwks)
            {
                if (ConfiguredClients.ParseJwks(jwks).Problem is { } problem)
                {
                    failures.Add($"{label}.JwksJson {problem}.");
                }
            }
            else if (provider.MetadataAddress is { } metadata && (!metadata.IsAbsoluteUri || (metadata.Scheme != "https" && !metadata.IsLoopback)))
            {
                failures.Add($"{label}.MetadataAddress must be an absolute https URL (http only on a loopback host), got '{metadata}'.");
            }

            if (provider.ClientIds.Count == 0)
            {
                failures.Add($"{label}.ClientIds is empty: name the clients (their ids here) that may present this provider's grants.");
            }

            if (string.IsNullOrWhiteSpace(provider.SubjectClaim))
            {
                failures.Add($"{label}.SubjectClaim is empty: name the claim that identifies the user (default sub).");
            }
        }
    }
}
