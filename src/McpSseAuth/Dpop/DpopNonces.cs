using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Dpop;

/// <summary>
/// Server-provided DPoP nonces (RFC 9449 §8, §9) that need no storage: a nonce is the time it was made, sealed with Data
/// Protection, so every instance sharing the Data Protection keys accepts every other's, for
/// <see cref="McpOAuthDpopOptions.NonceLifetime"/>. One nonce serves all clients until half of that has passed.
/// </summary>
internal sealed class DpopNonces(IDataProtectionProvider dataProtection, TimeProvider time, IOptions<McpOAuthOptions> options)
{
    private readonly IDataProtector _protector = dataProtection.CreateProtector("McpSseAuth.Dpop.Nonce.v1");
    private volatile Issued? _current;

    private sealed record Issued(string Nonce, DateTimeOffset At);

    /// <summary>The nonce to hand out now.</summary>
    public string Current()
    {
        var now = time.GetUtcNow();
        if (_current is { } current && now - current.At < Renewal && now >= current.At)
        {
            return current.Nonce;
        }

        Span<byte> stamp = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(stamp, now.ToUnixTimeSeconds());
        var made = new Issued(WebEncoders.Base64UrlEncode(_protector.Protect(stamp.ToArray())), DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()));
        _current = made;
        return made.Nonce;
    }

    /// <summary>Whether <paramref name="nonce"/> is one of ours and still good; <paramref name="renew"/> when the client should get a newer one.</summary>
    public bool IsValid(string? nonce, out bool renew)
    {
        renew = true;
        if (string.IsNullOrEmpty(nonce) || nonce.Length > 512)
        {
            return false;
        }

        byte[] stamp;
        try
        {
            stamp = _protector.Unprotect(WebEncoders.Base64UrlDecode(nonce));
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false;
        }

        if (stamp.Length != 8)
        {
            return false;
        }

        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(stamp));
        if (age < -options.Value.Tokens.ClockSkew || age > options.Value.Dpop.NonceLifetime)
        {
            return false;
        }

        renew = age >= Renewal;
        return true;
    }

    private TimeSpan Renewal => options.Value.Dpop.NonceLifetime / 2;
}
