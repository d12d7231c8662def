using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Keys;

/// <summary>
/// The asymmetric keys that sign access tokens and those published in the JWKS. A configured
/// <see cref="McpOAuthSigningOptions.Credentials"/> is used as is and never rotated; otherwise a
/// <see cref="SigningKeyRing"/> of <see cref="McpOAuthSigningOptions.Algorithm"/> keys rotates on <see cref="TimeProvider"/>
/// and is kept in an <see cref="ISigningKeyStore"/>.
/// </summary>
internal sealed class SigningKeys
{
    private readonly SigningKeyRing? _ring;
    private readonly SigningKeySet? _configured;

    /// <summary>On the system clock, with the store <see cref="McpOAuthSigningOptions.KeyDirectory"/> calls for.</summary>
    public SigningKeys(IOptions<McpOAuthOptions> options, ILogger<SigningKeys> logger)
        : this(options, TimeProvider.System, DefaultStore(options.Value), logger)
    {
    }

    public SigningKeys(IOptions<McpOAuthOptions> options, TimeProvider time, ISigningKeyStore store, ILogger<SigningKeys> logger)
        : this(options, time, store, logger, rereadEvery: null)
    {
    }

    /// <summary>With a store that other instances share, read again at least every <paramref name="rereadEvery"/>.</summary>
    public SigningKeys(IOptions<McpOAuthOptions> options, TimeProvider time, ISigningKeyStore store, ILogger<SigningKeys> logger, TimeSpan? rereadEvery)
    {
        var configured = options.Value.Signing.Credentials;
        if (configured is not null)
        {
            SigningKeyMaterial.WithKeyId(configured);
            _configured = new SigningKeySet(configured, [configured], DateTimeOffset.MaxValue);
            Algorithms = [configured.Algorithm];
        }
        else
        {
            _ring = new SigningKeyRing(options.Value, time, store, logger, rereadEvery);
            Algorithms = SigningKeyMaterial.RingAlgorithms;
        }
    }

    /// <summary>Signs new access tokens.</summary>
    public SigningCredentials Current => Keys.Current;

    /// <summary>Every key a token may be verified with now: current, next, and retired ones whose tokens may still be live.</summary>
    public IReadOnlyList<SecurityKey> ValidationKeys => Keys.ValidationKeys;

    /// <summary>The public half of <see cref="Current"/> only: <c>d</c>, <c>p</c>, <c>q</c> and the rest never leave the server.</summary>
    public Dictionary<string, object> PublicJwk => Keys.CurrentPublicJwk;

    /// <summary>The public halves of <see cref="ValidationKeys"/>, for the JWKS, each with kid, use and alg.</summary>
    public IReadOnlyList<Dictionary<string, object>> PublicJwks => Keys.PublicJwks;

    /// <summary>The algorithms tokens may be signed with: the configured key's, or those of the ring (which can change at rotation).</summary>
    public IReadOnlyList<string> Algorithms { get; }

    private SigningKeySet Keys => _ring?.Keys ?? _configured!;

    /// <summary>The key that verifies a token with this kid and alg, if any still does.</summary>
    public SecurityKey? FindValidationKey(string? keyId, string? algorithm) => Keys.Find(keyId, algorithm);

    /// <summary>A file store in <see cref="McpOAuthSigningOptions.KeyDirectory"/>, or memory when there is none.</summary>
    public static ISigningKeyStore DefaultStore(McpOAuthOptions options)
        => options.Signing.KeyDirectory is { } directory ? new FileSigningKeyStore(directory) : new InMemorySigningKeyStore();
}
