using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace McpSseAuth.Grants;

/// <summary>Proof Key for Code Exchange (RFC 7636), S256 only: OAuth 2.1 §4.1.1 and RFC 9700 §2.1.1.</summary>
internal static class Pkce
{
    public const string S256 = "S256";

    /// <summary>A S256 challenge is BASE64URL(SHA-256(verifier)): exactly 43 base64url characters.</summary>
    public static bool IsValidChallenge(string? challenge)
        => challenge is { Length: 43 } && challenge.All(IsBase64UrlChar);

    /// <summary>RFC 7636 §4.1: 43 to 128 characters of [A-Z] [a-z] [0-9] "-" "." "_" "~".</summary>
    public static bool IsValidVerifier(string? verifier)
        => verifier is { Length: >= 43 and <= 128 } && verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    /// <summary>Checks the verifier against the stored challenge in constant time.</summary>
    public static bool Verify(string? verifier, string challenge)
    {
        if (!IsValidVerifier(verifier))
        {
            return false;
        }

        var computed = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier!)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(challenge));
    }

    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
