using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace McpSseAuth.Storage;

/// <summary>Random handles for codes and refresh tokens (256 bits), stored only as SHA-256 hashes.</summary>
internal static class OpaqueHandle
{
    public static string Create() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key under which a handle is stored: a leaked store does not reveal usable tokens.</summary>
    public static string Hash(string handle) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(handle)));
}
