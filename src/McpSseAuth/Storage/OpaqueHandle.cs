using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace McpSseAuth.Storage;

/// <summary>Random handles for codes and refresh tokens (256 bits), stored only as SHA-256 hashes.</summary>
internal static class OpaqueHandle
{
    public static string Create() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// A handle that names the grant it belongs to: <c>{grant id}.{random}</c>. The grant id is no secret (access tokens
    /// carry it); naming it lets the grant's revocation be read alongside the handle's own entry instead of after it.
    /// </summary>
    public static string Create(string grantId) => string.Concat(grantId, ".", Create());

    /// <summary>The grant a handle of <see cref="Create(string)"/> names; null for a plain handle (or one issued before).</summary>
    public static string? GrantOf(string handle)
    {
        var dot = handle.LastIndexOf('.');
        return dot is > 0 and <= MaxGrantIdLength ? handle[..dot] : null;
    }

    // Grant ids are handles of Create() (43 characters); anything far longer is not one of ours and is not looked up.
    private const int MaxGrantIdLength = 64;

    /// <summary>The key under which a handle is stored: a leaked store does not reveal usable tokens.</summary>
    public static string Hash(string handle) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(handle)));
}
