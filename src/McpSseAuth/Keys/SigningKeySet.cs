using System.Collections.Frozen;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Keys;

/// <summary>
/// The keys as they stand until <see cref="ValidUntil"/>: the one that signs, and every one that still verifies
/// (the next key ahead of use, retired keys until their last token expired). Immutable, so readers need no lock.
/// </summary>
internal sealed class SigningKeySet
{
    private readonly FrozenDictionary<string, SigningCredentials> _byKeyId;

    /// <param name="current">Signs new tokens.</param>
    /// <param name="verifying">Every key that verifies, <paramref name="current"/> included, in the order the JWKS lists them.</param>
    /// <param name="validUntil">When the next change of the schedule is due.</param>
    public SigningKeySet(SigningCredentials current, IReadOnlyList<SigningCredentials> verifying, DateTimeOffset validUntil)
    {
        Current = current;
        ValidUntil = validUntil;
        _byKeyId = verifying.DistinctBy(k => k.Key.KeyId, StringComparer.Ordinal).ToFrozenDictionary(k => k.Key.KeyId, StringComparer.Ordinal);
        Verifying = verifying;
        ValidationKeys = [.. verifying.Select(k => k.Key)];
        PublicJwks = [.. verifying.Select(SigningKeyMaterial.PublicJwk)];
        CurrentPublicJwk = PublicJwks[IndexOf(verifying, current)];
    }

    private SigningKeySet(SigningKeySet keys, DateTimeOffset validUntil)
    {
        Current = keys.Current;
        ValidUntil = validUntil;
        _byKeyId = keys._byKeyId;
        Verifying = keys.Verifying;
        ValidationKeys = keys.ValidationKeys;
        PublicJwks = keys.PublicJwks;
        CurrentPublicJwk = keys.CurrentPublicJwk;
    }

    public SigningCredentials Current { get; }

    public DateTimeOffset ValidUntil { get; }

    public IReadOnlyList<SigningCredentials> Verifying { get; }

    public IReadOnlyList<SecurityKey> ValidationKeys { get; }

    public IReadOnlyList<Dictionary<string, object>> PublicJwks { get; }

    public Dictionary<string, object> CurrentPublicJwk { get; }

    /// <summary>The same keys, checked again at <paramref name="validUntil"/>.</summary>
    public SigningKeySet Until(DateTimeOffset validUntil) => new(this, validUntil);

    /// <summary>The key with this kid, when it verifies and was meant for this algorithm (no algorithm substitution).</summary>
    public SecurityKey? Find(string? keyId, string? algorithm)
        => keyId is not null && _byKeyId.TryGetValue(keyId, out var credentials) && string.Equals(credentials.Algorithm, algorithm, StringComparison.Ordinal)
            ? credentials.Key
            : null;

    private static int IndexOf(IReadOnlyList<SigningCredentials> keys, SigningCredentials key)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (ReferenceEquals(keys[i], key))
            {
                return i;
            }
        }

        throw new ArgumentException("The current key must be among the verifying keys.", nameof(key));
    }
}
