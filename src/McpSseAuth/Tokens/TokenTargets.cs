using McpSseAuth.Http;
using McpSseAuth.Resources;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Tokens;

/// <summary>
/// What a token request may narrow: its scopes (RFC 6749 §6, §4.4) and its resource (RFC 8707 §2.2), never widen.
/// </summary>
internal sealed class TokenTargets(ResourceIndicators resources)
{
    /// <summary>RFC 6749 §6: a refresh may ask for fewer scopes than granted, never more.</summary>
    public static IReadOnlyList<string>? NarrowedScopes(OAuthParameters parameters, IReadOnlyList<string> granted, out OAuthError? error)
        => NarrowedScopes(parameters, granted, "A refresh may only narrow the scopes originally granted (RFC 6749 §6).", out error);

    public static IReadOnlyList<string>? NarrowedScopes(OAuthParameters parameters, IReadOnlyList<string> granted, string refusal, out OAuthError? error)
    {
        error = null;
        if (parameters["scope"] is not { } requested)
        {
            return granted;
        }

        // offline_access in a refresh request only repeats why there is a refresh token.
        var asked = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).Where(s => s != McpOAuthDefaults.OfflineAccessScope).ToArray();
        if (asked.Length == 0 && requested.Contains(McpOAuthDefaults.OfflineAccessScope, StringComparison.Ordinal))
        {
            return granted;
        }

        if (asked.Length == 0 || asked.Any(s => !granted.Contains(s, StringComparer.Ordinal)))
        {
            error = OAuthError.InvalidScope(refusal);
            return null;
        }

        return asked;
    }

    /// <summary>The token's audiences: the grant's, or the one of them the request names (RFC 8707 §2.2).</summary>
    public IReadOnlyList<string>? Audiences(HttpContext context, OAuthParameters parameters, IReadOnlyList<string> granted, out OAuthError? error)
    {
        error = null;
        if (parameters["resource"] is not { } requested)
        {
            return granted;
        }

        if (resources.Resolve(context, requested, out error) is not [var resolved])
        {
            return null;
        }

        if (!granted.Contains(resolved, StringComparer.Ordinal))
        {
            error = OAuthError.InvalidTarget("The resource is not one this grant was issued for.");
            return null;
        }

        return [resolved];
    }
}
