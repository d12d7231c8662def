using System.Net;

namespace McpSseAuth.Clients;

/// <summary>
/// What a redirect URI may be, and when a requested one matches a registered one.
/// Registration: https, or http on a loopback host (RFC 8252 §7.3), or an allowed private-use scheme (§7.1);
/// never a fragment (RFC 6749 §3.1.2) or user info. Matching: exact string comparison (RFC 9700 §4.1.3), except
/// that the port of a loopback http URI may differ (RFC 8252 §7.3).
/// </summary>
internal static class RedirectUriRules
{
    public static bool TryValidateForRegistration(string value, ISet<string> allowedPrivateSchemes, out string? problem)
    {
        problem = null;
        if (value.Length > 2000)
        {
            problem = "is too long";
            return false;
        }

        // RFC 3986 §2: a URI is printable ASCII. A space, CR/LF or raw non-ASCII would later be written unencoded into
        // the Location header: header injection, or a 500 from Kestrel, which refuses such header values.
        if (!IsPrintableAscii(value))
        {
            problem = "must be printable ASCII without spaces (percent-encode other characters)";
            return false;
        }

        // A leading '/' is a path, though System.Uri reads it as file:// on Unix.
        if (value.StartsWith('/') || !Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            problem = "is not an absolute URI";
            return false;
        }

        // Browsers read '\' as '/': the URI would not be the one compared (RFC 9700 §4.1.3).
        if (value.Contains('\\', StringComparison.Ordinal))
        {
            problem = "must not contain a backslash";
            return false;
        }

        if (value.Contains('#', StringComparison.Ordinal))
        {
            problem = "must not contain a fragment";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            problem = "must not contain user information";
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return true;
        }

        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            if (IsLoopbackHost(uri))
            {
                return true;
            }

            problem = "must use https unless its host is loopback (127.0.0.1, [::1] or localhost)";
            return false;
        }

        if (allowedPrivateSchemes.Contains(uri.Scheme))
        {
            return true;
        }

        problem = $"uses the scheme '{uri.Scheme}', which is not allowed (use https or loopback http)";
        return false;
    }

    /// <summary>Whether <paramref name="requested"/> matches one of the client's registered URIs.</summary>
    public static bool Matches(string requested, IReadOnlyList<string> registered)
    {
        foreach (var candidate in registered)
        {
            if (string.Equals(requested, candidate, StringComparison.Ordinal))
            {
                return true;
            }
        }

        if (!Uri.TryCreate(requested, UriKind.Absolute, out var requestedUri) || requestedUri.Scheme != Uri.UriSchemeHttp || !IsLoopbackHost(requestedUri) ||
            requested.Contains('#', StringComparison.Ordinal) || requested.Contains('\\', StringComparison.Ordinal) || !string.IsNullOrEmpty(requestedUri.UserInfo))
        {
            return false;
        }

        foreach (var candidate in registered)
        {
            if (Uri.TryCreate(candidate, UriKind.Absolute, out var registeredUri) && registeredUri.Scheme == Uri.UriSchemeHttp && IsLoopbackHost(registeredUri) &&
                string.Equals(WithoutPort(requested), WithoutPort(candidate), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether an error may be sent to this redirect URI without the user's say: loopback and private-use URIs reach
    /// only an app on the user's own device; any https URI could be an attacker's page (RFC 9700 §4.11.2).
    /// </summary>
    public static bool MayReceiveErrorsUnattended(string redirectUri, ISet<string> allowedPrivateSchemes)
        => Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) &&
           ((uri.Scheme == Uri.UriSchemeHttp && IsLoopbackHost(uri)) || allowedPrivateSchemes.Contains(uri.Scheme));

    /// <summary>Only %x21-7E: what may be written into a header value as it is.</summary>
    /// <summary>https on a host that is not loopback: what a web application redirects to (OpenID Connect Registration §2).</summary>
    public static bool IsWebApplicationRedirect(string redirectUri)
        => Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && !IsLoopbackHost(uri);

    public static bool IsPrintableAscii(string value) => value.All(c => c is > ' ' and < (char)0x7F);

    public static bool IsLoopbackHost(Uri uri)
    {
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    // The original string with the port removed, so everything else still compares byte for byte.
    private static string WithoutPort(string original)
    {
        var authorityStart = original.IndexOf("://", StringComparison.Ordinal) + 3;
        var authorityEnd = original.IndexOfAny(['/', '?', '\\'], authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = original.Length;
        }

        var authority = original[authorityStart..authorityEnd];
        var colon = authority.LastIndexOf(':');
        if (colon >= 0 && !authority.EndsWith(']'))
        {
            authority = authority[..colon];
        }

        return original[..authorityStart].ToLowerInvariant() + authority + original[authorityEnd..];
    }

    /// <summary>
    /// Whether an https redirect URI's host is one of <see cref="McpOAuthRedirectUriOptions.AllowedHosts"/> (all when empty);
    /// loopback and private-use schemes are decided elsewhere.
    /// </summary>
    public static bool IsAllowedHost(Uri redirectUri, ISet<string> allowed)
        => allowed.Count == 0 || redirectUri.Scheme != Uri.UriSchemeHttps || HostMatches(redirectUri, allowed);

    /// <summary>Whether the URI's host is one of <paramref name="allowed"/>: exact names, or <c>*.example.com</c> for subdomains.</summary>
    public static bool HostMatches(Uri uri, ISet<string> allowed)
    {
        var host = uri.IdnHost.TrimEnd('.');
        return allowed.Any(entry => entry.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(entry[1..], StringComparison.OrdinalIgnoreCase) && host.Length > entry.Length - 1
            : string.Equals(host, entry, StringComparison.OrdinalIgnoreCase));
    }
}
