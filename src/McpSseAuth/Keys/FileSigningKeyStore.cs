using System.Text.Json;
using System.Text.Json.Serialization;

namespace McpSseAuth.Keys;

/// <summary>
/// The key ring in <see cref="McpOAuthSigningOptions.KeyDirectory"/>: each private key as an owner-only PKCS#8 PEM file
/// <c>signing-key-{kid}.pem</c>, and the schedule in <c>signing-keys.json</c>. Every file is written to a temporary file
/// and moved into place, so a crash or a concurrent reader never sees half a key or half a manifest.
/// </summary>
internal sealed class FileSigningKeyStore(string directory) : ISigningKeyStore
{
    public const string ManifestFileName = "signing-keys.json";

    /// <summary>The one key of earlier versions; adopted by the ring, then deleted once saved under its kid.</summary>
    public const string LegacyKeyFileName = "signing-key.pem";

    private const string KeyFilePrefix = "signing-key-";

    public string Folder { get; } = directory;

    public ValueTask<IReadOnlyList<StoredSigningKey>> LoadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var manifestPath = Path.Combine(Folder, ManifestFileName);
        if (!File.Exists(manifestPath))
        {
            var legacy = Path.Combine(Folder, LegacyKeyFileName);
            IReadOnlyList<StoredSigningKey> found = File.Exists(legacy)
                ? [StoredSigningKey.Unscheduled(File.ReadAllText(legacy), File.GetLastWriteTimeUtc(legacy))]
                : [];
            return ValueTask.FromResult(found);
        }

        var manifest = JsonSerializer.Deserialize(File.ReadAllBytes(manifestPath), SigningKeyManifestJsonContext.Default.SigningKeyManifest)
            ?? throw new InvalidOperationException($"The signing key manifest {manifestPath} is empty. Restore it, or delete the folder's signing-key* files to start a new key ring.");
        // A manifest edited by hand or cut short: refused with the fix, not a NullReferenceException.
        if (manifest.Keys is null || manifest.Keys.Any(k => k is null || string.IsNullOrEmpty(k.Kid) || string.IsNullOrEmpty(k.Alg)))
        {
            throw new InvalidOperationException($"The signing key manifest {manifestPath} is damaged (keys without kid or alg). Restore it, or delete the folder's signing-key* files to start a new key ring.");
        }

        var keys = new List<StoredSigningKey>(manifest.Keys.Count);
        foreach (var entry in manifest.Keys)
        {
            var path = KeyPath(entry.Kid);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"The signing key manifest {manifestPath} lists key {entry.Kid}, but {path} is missing. Restore it, or delete the folder's signing-key* files to start a new key ring.");
            }

            keys.Add(new StoredSigningKey(entry.Kid, entry.Alg, File.ReadAllText(path), entry.Created, entry.Activates, entry.Retires));
        }

        return ValueTask.FromResult<IReadOnlyList<StoredSigningKey>>(keys);
    }

    public ValueTask SaveAsync(IReadOnlyList<StoredSigningKey> keys, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Folder);
        }
        else
        {
            Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Keys first, then the manifest that names them: a crash in between leaves an unlisted file, never a listed key missing.
        foreach (var key in keys)
        {
            var path = KeyPath(key.KeyId);
            if (!File.Exists(path))
            {
                WriteAtomically(path, System.Text.Encoding.ASCII.GetBytes(key.PrivateKeyPem));
            }
        }

        var manifest = new SigningKeyManifest(1, [.. keys.Select(k => new SigningKeyManifestEntry(k.KeyId, k.Algorithm, k.Created, k.Activates, k.Retires))]);
        WriteAtomically(Path.Combine(Folder, ManifestFileName), JsonSerializer.SerializeToUtf8Bytes(manifest, SigningKeyManifestJsonContext.Default.SigningKeyManifest));

        var kept = keys.Select(k => Path.GetFileName(KeyPath(k.KeyId))).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Folder, "signing-key*.pem"))
        {
            var name = Path.GetFileName(file);
            if ((name == LegacyKeyFileName || name.StartsWith(KeyFilePrefix, StringComparison.Ordinal)) && !kept.Contains(name))
            {
                File.Delete(file);
            }
        }

        return ValueTask.CompletedTask;
    }

    private string KeyPath(string keyId)
    {
        // The kid comes from a file: only base64url characters, so it cannot name a path outside the folder.
        if (keyId.Length is 0 or > 128 || !keyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new InvalidOperationException($"The signing key manifest in {Folder} holds an invalid kid.");
        }

        return Path.Combine(Folder, KeyFilePrefix + keyId + ".pem");
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Owner-only from the first byte: the private key must not be readable by other accounts.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            // A rename within one folder: readers see the old file or the new one, never a mix.
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>The schedule of the key ring, as kept in <c>signing-keys.json</c>. No key material.</summary>
internal sealed record SigningKeyManifest(int Version, IReadOnlyList<SigningKeyManifestEntry> Keys);

/// <summary>One key's schedule: signs from <c>activates</c> until <c>retires</c>.</summary>
internal sealed record SigningKeyManifestEntry(string Kid, string Alg, DateTimeOffset Created, DateTimeOffset Activates, DateTimeOffset Retires);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SigningKeyManifest))]
internal sealed partial class SigningKeyManifestJsonContext : JsonSerializerContext;
