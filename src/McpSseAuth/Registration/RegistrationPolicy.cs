using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Registration;

/// <summary>
/// Who may register and what: the initial access token when one is configured (RFC 7591 §3, compared in constant time),
/// registrations per client address (<see cref="McpOAuthOptions.MaxRegistrationsPerAddress"/>), and the hosts an https
/// redirect URI may name (<see cref="McpOAuthOptions.AllowedRedirectHosts"/>).
/// </summary>
internal sealed class RegistrationPolicy : IDisposable
{
    private readonly IOptions<McpOAuthOptions> _options;
    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly byte[]? _accessTokenHash;

    public RegistrationPolicy(IOptions<McpOAuthOptions> options)
    {
        _options = options;
        var o = options.Value;
        _accessTokenHash = o.RegistrationAccessToken is { } token ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null;
        _perAddress = RateLimits.PerKey(o.MaxRegistrationsPerAddress, o.RegistrationWindow);
    }

    /// <summary>Null when the caller may register now; otherwise the error to answer (401 or 429).</summary>
    public OAuthError? Admit(HttpContext context)
    {
        if (_accessTokenHash is not null)
        {
            var header = context.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
            if (presented is null || !CryptographicOperations.FixedTimeEquals(_accessTokenHash, SHA256.HashData(Encoding.UTF8.GetBytes(presented))))
            {
                // RFC 7591 §3 defers to RFC 6750: 401 with a Bearer challenge.
                context.Response.Headers.WWWAuthenticate = presented is null
                    ? "Bearer realm=\"registration\""
                    : "Bearer realm=\"registration\", error=\"invalid_token\"";
                return new OAuthError("invalid_token", "Registration on this server needs an initial access token from its operator (Authorization: Bearer).", StatusCodes.Status401Unauthorized);
            }
        }

        using var lease = _perAddress.AttemptAcquire(RateLimits.AddressKey(context));
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : (int)_options.Value.RegistrationWindow.TotalSeconds;
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new OAuthError(OAuthErrorCodes.TemporarilyUnavailable, "Too many registrations from this address; retry later.", StatusCodes.Status429TooManyRequests);
        }

        return null;
    }

    /// <summary>Whether an https redirect URI's host is allowed (loopback and private-use schemes are decided elsewhere).</summary>
    public bool IsAllowedHost(Uri redirectUri)
    {
        var allowed = _options.Value.AllowedRedirectHosts;
        return allowed.Count == 0 || redirectUri.Scheme != Uri.UriSchemeHttps || HostMatches(redirectUri, allowed);
    }

    /// <summary>Whether the URI's host is one of <paramref name="allowed"/>: exact names, or <c>*.example.com</c> for subdomains.</summary>
    public static bool HostMatches(Uri uri, ISet<string> allowed)
    {
        var host = uri.IdnHost.TrimEnd('.');
        return allowed.Any(entry => entry.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(entry[1..], StringComparison.OrdinalIgnoreCase) && host.Length > entry.Length - 1
            : string.Equals(host, entry, StringComparison.OrdinalIgnoreCase));
    }

    public void Dispose() => _perAddress.Dispose();
}
