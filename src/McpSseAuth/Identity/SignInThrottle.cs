using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// Limits failed sign-ins per user name and per client address (RFC 9700 §4.13 asks for brute-force protection of the
/// authorization server's own credentials). Successful sign-ins cost nothing. Behind a reverse proxy the client address
/// is right only with ASP.NET Core's forwarded-headers middleware.
/// </summary>
internal sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perUser;
    private readonly PartitionedRateLimiter<string> _perAddress;

    public SignInThrottle(IOptions<McpOAuthOptions> options)
    {
        var o = options.Value;
        _perUser = Http.RateLimits.PerKey(o.SignIn.MaxFailedAttempts, o.SignIn.FailedAttemptWindow);
        // One address may legitimately carry several users (an office behind NAT): allow it more.
        _perAddress = Http.RateLimits.PerKey(o.SignIn.MaxFailedAttempts * 5, o.SignIn.FailedAttemptWindow);
    }

    /// <summary>Whether another attempt may be checked now (nothing is consumed).</summary>
    public bool IsAllowed(HttpContext context, string userName)
        => _perUser.AttemptAcquire(UserKey(userName), 0).IsAcquired && _perAddress.AttemptAcquire(AddressKey(context), 0).IsAcquired;

    /// <summary>Counts a failed attempt against the user name and the address.</summary>
    public void RecordFailure(HttpContext context, string userName)
    {
        using var user = _perUser.AttemptAcquire(UserKey(userName));
        using var address = _perAddress.AttemptAcquire(AddressKey(context));
    }

    private static string UserKey(string userName) => userName.Length > 256 ? userName[..256].ToUpperInvariant() : userName.ToUpperInvariant();

    private static string AddressKey(HttpContext context) => Http.RateLimits.AddressKey(context);

    public void Dispose()
    {
        _perUser.Dispose();
        _perAddress.Dispose();
    }
}
