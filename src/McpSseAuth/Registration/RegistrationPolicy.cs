using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Registration;

/// <summary>
/// Who may register and what: the initial access token when one is configured (RFC 7591 §3, compared in constant time),
/// registrations per client address (<see cref="McpOAuthRegistrationOptions.MaxPerAddress"/>). The hosts an https redirect URI
/// may name are <see cref="Clients.RedirectUriRules.IsAllowedHost"/>.
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
        _accessTokenHash = o.Registration.AccessToken is { } token ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null;
        _perAddress = RateLimits.PerKey(o.Registration.MaxPerAddress, o.Registration.Window);
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
                (AuthenticateChallenge.Bearer() with { Realm = "registration", Error = presented is null ? null : OAuthErrorCodes.InvalidToken }).AppendTo(context.Response);
                return new OAuthError("invalid_token", "Registration on this server needs an initial access token from its operator (Authorization: Bearer).", StatusCodes.Status401Unauthorized);
            }
        }

        using var lease = _perAddress.AttemptAcquire(RateLimits.AddressKey(context));
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : (int)_options.Value.Registration.Window.TotalSeconds;
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new OAuthError(OAuthErrorCodes.TemporarilyUnavailable, "Too many registrations from this address; retry later.", StatusCodes.Status429TooManyRequests);
        }

        return null;
    }

    public void Dispose() => _perAddress.Dispose();
}
