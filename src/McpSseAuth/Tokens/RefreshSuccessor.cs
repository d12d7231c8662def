using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace McpSseAuth.Tokens;

/// <summary>
/// Seals a refresh's token response with a key derived from the spent refresh token (HKDF-SHA256, then AES-GCM), so the
/// store keeps it without being able to read it: only a client presenting the spent token again opens it.
/// </summary>
internal static class RefreshSuccessor
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("McpSseAuth refresh successor v1");

    public static string Seal(string spentHandle, byte[] response)
    {
        var sealedBytes = new byte[NonceBytes + TagBytes + response.Length];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key(spentHandle), TagBytes);
        aes.Encrypt(nonce, response, sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes));
        return Base64Url.EncodeToString(sealedBytes);
    }

    /// <summary>The response, or null when it does not open with this handle (tampered, or another token's).</summary>
    public static byte[]? Open(string spentHandle, string sealedResponse)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(sealedResponse);
        }
        catch (FormatException)
        {
            return null;
        }

        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            return null;
        }

        var response = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(Key(spentHandle), TagBytes);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), response);
            return response;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] Key(string handle) => HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(handle), 32, salt: null, Info);
}
