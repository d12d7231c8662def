using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.BenchServer;

/// <summary>
/// The floor: the cheapest bearer authentication ASP.NET Core can run. The bearer is compared (in constant time) with a
/// few fixed tokens and a principal made once is returned; no signature, no claims, no events. With
/// <c>RequireAuthorization()</c> it is what any authentication costs at the least, so what McpSseAuth adds is judged
/// against it.
/// </summary>
internal sealed class ConstantTokenHandler(IOptionsMonitor<ConstantTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ConstantTokenOptions>(options, logger, encoder)
{
    public const string SchemeName = "ConstantToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = Encoding.ASCII.GetBytes(header[7..]);
        foreach (var token in Options.Tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, token))
            {
                return Task.FromResult(Options.Success);
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("unknown token"));
    }
}

internal sealed class ConstantTokenOptions : AuthenticationSchemeOptions
{
    public List<byte[]> Tokens { get; } = [];

    /// <summary>Made once: the same principal for every request.</summary>
    public AuthenticateResult Success { get; } = AuthenticateResult.Success(new AuthenticationTicket(
        new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice")], ConstantTokenHandler.SchemeName)), ConstantTokenHandler.SchemeName));
}
