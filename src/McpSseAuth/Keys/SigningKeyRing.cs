using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Keys;

/// <summary>
/// Keys created by McpSseAuth, rotated on <see cref="TimeProvider"/>. Each key signs for one
/// <see cref="McpOAuthSigningOptions.RotationPeriod"/>. Its successor is created and published in the JWKS when
/// min(1 day, period / 4) is left, so JWKS caches know it before it signs; a retired key keeps verifying for
/// <see cref="McpOAuthTokenOptions.AccessTokenLifetime"/> + <see cref="McpOAuthTokenOptions.ClockSkew"/>, until every token it
/// signed has expired, then is dropped. The schedule is in the store, so a restart keeps it.
/// </summary>
internal sealed class SigningKeyRing
{
    /// <summary>After a failed save the ring keeps its keys and tries again this much later.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMinutes(1);

    private readonly McpOAuthOptions _options;
    private readonly TimeProvider _time;
    private readonly ISigningKeyStore _store;
    private readonly ILogger _logger;
    private readonly TimeSpan? _rereadEvery;
    private readonly Lock _gate = new();

    /// <summary>Keys read from PEM, by kid: parsed once, not at each reload.</summary>
    private readonly Dictionary<string, SigningCredentials> _imported = new(StringComparer.Ordinal);
    // Null until the store could be read: a storage that is down at startup delays the ring, it does not stop the app.
    private volatile SigningKeySet? _keys;

    /// <param name="options">The options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="store">Where the ring is kept.</param>
    /// <param name="logger">For the ring's events.</param>
    /// <param name="rereadEvery">For a store shared by instances: read it at least this often, to see their changes.</param>
    public SigningKeyRing(McpOAuthOptions options, TimeProvider time, ISigningKeyStore store, ILogger logger, TimeSpan? rereadEvery = null)
    {
        _options = options;
        _rereadEvery = rereadEvery;
        _time = time;
        _store = store;
        _logger = logger;
        // At startup a store that cannot be read or written is an error: fail now rather than sign with an unsaved key. A
        // storage that is unreachable for now is the exception: the ring is read at first use, and until then whatever
        // needs a key answers 503.
        lock (_gate)
        {
            try
            {
                _keys = RotateShared(time.GetUtcNow(), previous: null);
            }
            catch (Storage.McpStorageUnavailableException e)
            {
                Log.SigningKeyRingDeferred(_logger, e);
            }
        }
    }

    /// <summary>The keys now. Cheap: one clock read and a comparison until the schedule is due to change.</summary>
    public SigningKeySet Keys
    {
        get
        {
            var keys = _keys;
            return keys is not null && _time.GetUtcNow() < keys.ValidUntil ? keys : Refresh();
        }
    }

    private SigningKeySet Refresh()
    {
        lock (_gate)
        {
            var keys = _keys;
            var now = _time.GetUtcNow();
            if (keys is not null && now < keys.ValidUntil)
            {
                return keys; // another caller just did it
            }

            if (keys is null)
            {
                // Not read yet (the storage was down at startup): read now, or throw McpStorageUnavailableException (503).
                return _keys = RotateShared(now, previous: null);
            }

            try
            {
                _keys = RotateShared(now, keys);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or CryptographicException or JsonException or ArgumentException
                                           or Storage.McpStorageUnavailableException or SigningKeyStoreConflictException)
            {
                // Signing on with the keys we have beats failing every token request; the error is logged for the operator.
                Log.SigningKeyRingNotSaved(_logger, RetryDelay, e);
                _keys = keys.Until(now + RetryDelay);
            }

            return _keys;
        }
    }

    /// <summary>
    /// <see cref="Rotate"/>, read again when another instance saved in between: the ring it saved is adopted, not
    /// overwritten, so every instance signs with keys that every other one knows.
    /// </summary>
    private SigningKeySet RotateShared(DateTimeOffset now, SigningKeySet? previous)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var keys = Rotate(now, previous);
                return _rereadEvery is { } every && keys.ValidUntil > now + every ? keys.Until(now + every) : keys;
            }
            catch (SigningKeyStoreConflictException) when (attempt < 5)
            {
            }
        }
    }

    /// <summary>Reads the store, applies the schedule at <paramref name="now"/>, and saves when a key was created or dropped.</summary>
    private SigningKeySet Rotate(DateTimeOffset now, SigningKeySet? previous)
    {
        var period = _options.Signing.RotationPeriod;
        var lead = Lead(period);
        var verifyAfterRetired = _options.Tokens.AccessTokenLifetime + _options.Tokens.ClockSkew;

        // Read again each time: another instance sharing the store may have created the next key already.
        var ring = new List<StoredSigningKey>();
        var adopted = new List<StoredSigningKey>();
        var created = new List<StoredSigningKey>();
        foreach (var stored in Wait(_store.LoadAsync(CancellationToken.None)))
        {
            if (stored.IsScheduled)
            {
                ring.Add(stored);
                continue;
            }

            var algorithm = SigningKeyMaterial.AlgorithmOf(stored.PrivateKeyPem);
            var legacy = SigningKeyMaterial.Import(stored.PrivateKeyPem, algorithm);
            _imported[legacy.Key.KeyId] = legacy;
            adopted.Add(new StoredSigningKey(legacy.Key.KeyId, algorithm, stored.PrivateKeyPem, stored.Created, now, now + period));
        }

        ring.AddRange(adopted);
        var dropped = ring.Where(k => k.Retires + verifyAfterRetired <= now).ToList();
        ring.RemoveAll(dropped.Contains);

        var current = ring.Where(k => k.Activates <= now && now < k.Retires)
            .OrderByDescending(k => k.Activates).ThenBy(k => k.KeyId, StringComparer.Ordinal).FirstOrDefault();
        if (current is null)
        {
            // A new ring, or the server was off past the whole schedule: a key that signs from now.
            var retires = ring.Where(k => k.Activates > now).Select(k => (DateTimeOffset?)k.Activates).Min() is { } following && following < now + period
                ? following
                : now + period;
            current = Create(now, now, retires);
            created.Add(current);
            ring.Add(current);
        }

        if (!ring.Any(k => k.Activates > now) && now >= current.Retires - lead)
        {
            // Published now, signs when the current key's period ends. The lock makes it exactly one.
            created.Add(Create(now, current.Retires, current.Retires + period));
            ring.Add(created[^1]);
        }

        if (adopted.Count + created.Count + dropped.Count > 0)
        {
            Wait(_store.SaveAsync(ring, CancellationToken.None));
        }

        // Logged once saved: a key that could not be saved is neither published nor announced.
        adopted.ForEach(k => Log.LegacySigningKeyAdopted(_logger, k.KeyId, k.Algorithm));
        created.ForEach(k => Log.SigningKeyAdded(_logger, k.KeyId, k.Algorithm, k.Activates, k.Retires));
        dropped.ForEach(k => Log.SigningKeyDropped(_logger, k.KeyId));

        if (previous is not null && previous.Current.Key.KeyId != current.KeyId)
        {
            Log.SigningKeyActivated(_logger, current.KeyId, current.Algorithm);
        }

        // The JWKS lists the signing key first, then the next one, then retired ones, newest first.
        var ordered = ring.OrderByDescending(k => k == current).ThenByDescending(k => k.Activates > now).ThenByDescending(k => k.Activates).ToList();
        var credentials = ordered.Select(Credentials).ToList();
        foreach (var gone in _imported.Keys.Except(ring.Select(k => k.KeyId), StringComparer.Ordinal).ToList())
        {
            _imported.Remove(gone);
        }

        return new SigningKeySet(credentials[0], credentials, NextChange(now, ring, current, lead, verifyAfterRetired));
    }

    /// <summary>How long before the current key retires its successor is created and published: min(1 day, period / 4).</summary>
    public static TimeSpan Lead(TimeSpan period) => period / 4 < TimeSpan.FromDays(1) ? period / 4 : TimeSpan.FromDays(1);

    private StoredSigningKey Create(DateTimeOffset now, DateTimeOffset activates, DateTimeOffset retires)
    {
        // A change of Signing.Algorithm applies here, to the next key created.
        var algorithm = _options.Signing.Algorithm;
        var pem = SigningKeyMaterial.CreatePem(algorithm);
        var credentials = SigningKeyMaterial.Import(pem, algorithm);
        _imported[credentials.Key.KeyId] = credentials;
        return new StoredSigningKey(credentials.Key.KeyId, algorithm, pem, now, activates, retires);
    }

    private SigningCredentials Credentials(StoredSigningKey stored)
    {
        if (!_imported.TryGetValue(stored.KeyId, out var credentials))
        {
            credentials = SigningKeyMaterial.Import(stored.PrivateKeyPem, stored.Algorithm);
            if (credentials.Key.KeyId != stored.KeyId)
            {
                throw new InvalidOperationException($"The stored signing key {stored.KeyId} holds another key (thumbprint {credentials.Key.KeyId}). Restore the key store, or empty it to start a new key ring.");
            }

            _imported[stored.KeyId] = credentials;
        }

        return credentials;
    }

    /// <summary>The earliest of: the next key's creation or activation, and the drop of a retired key.</summary>
    private static DateTimeOffset NextChange(DateTimeOffset now, List<StoredSigningKey> ring, StoredSigningKey current, TimeSpan lead, TimeSpan verifyAfterRetired)
    {
        var next = current.Retires;
        if (!ring.Any(k => k.Activates > now) && current.Retires - lead > now && current.Retires - lead < next)
        {
            next = current.Retires - lead;
        }

        foreach (var retired in ring.Where(k => k.Retires <= now))
        {
            var drop = retired.Retires + verifyAfterRetired;
            if (drop < next)
            {
                next = drop;
            }
        }

        return next;
    }

    // The store is async for stores over the network; the ring waits for it only at startup and at a change of schedule.
    private static T Wait<T>(ValueTask<T> task) => task.IsCompleted ? task.GetAwaiter().GetResult() : task.AsTask().GetAwaiter().GetResult();

    private static void Wait(ValueTask task)
    {
        if (task.IsCompleted)
        {
            task.GetAwaiter().GetResult();
        }
        else
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }
}
