using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using McpSseAuth.Grants;
using McpSseAuth.Keys;
using McpSseAuth.Tokens;
using McpSseAuth.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// The signing key ring: the next key published min(1 day, period / 4) before it signs, activated at the end of the period,
/// retired keys verifying for AccessTokenLifetime + ClockSkew; kept in a file store (owner-only PEMs, atomic manifest).
/// </summary>
public sealed class SigningKeyRingTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2031, 5, 6, 7, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Period = TimeSpan.FromHours(8);
    private static readonly TimeSpan Lead = TimeSpan.FromHours(2); // Period / 4, less than a day
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(20) + TimeSpan.FromSeconds(30); // AccessTokenLifetime + ClockSkew
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mcpsseauth-ring-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static McpOAuthOptions Options(string? folder = null, string algorithm = "ES256", TimeSpan? period = null) => new()
    {
        Signing = { KeyDirectory = folder, Algorithm = algorithm, RotationPeriod = period ?? Period },
        Tokens = { AccessTokenLifetime = TimeSpan.FromMinutes(20), ClockSkew = TimeSpan.FromSeconds(30) }
    };

    private SigningKeys Create(McpOAuthOptions options, ISigningKeyStore? store = null)
        => new(Microsoft.Extensions.Options.Options.Create(options), _clock, store ?? SigningKeys.DefaultStore(options), NullLogger<SigningKeys>.Instance);

    private static string[] Kids(SigningKeys keys) => [.. keys.PublicJwks.Select(j => (string)j["kid"])];

    private void AdvanceTo(TimeSpan sinceStart) => _clock.SetUtcNow(Start + sinceStart);

    [Theory]
    [InlineData(8, 2)]          // period / 4
    [InlineData(30 * 24, 24)]   // at most a day
    public void Ring_NextKey_IsPublishedWhenTheLeadTimeIsLeft_NotEarlier(int periodHours, int leadHours)
    {
        var period = TimeSpan.FromHours(periodHours);
        var keys = Create(Options(period: period));
        var first = keys.Current.Key.KeyId;

        AdvanceTo(period - TimeSpan.FromHours(leadHours) - TimeSpan.FromSeconds(1));
        Assert.Equal([first], Kids(keys));

        AdvanceTo(period - TimeSpan.FromHours(leadHours));
        var kids = Kids(keys);
        Assert.Equal(2, kids.Length);
        Assert.Equal(first, keys.Current.Key.KeyId); // published, not signing yet
        Assert.Equal(first, kids[0]);
        Assert.NotNull(keys.FindValidationKey(kids[1], "ES256"));
    }

    [Fact]
    public void Ring_NextKey_SignsFromTheEndOfThePeriod()
    {
        var keys = Create(Options());
        var first = keys.Current.Key.KeyId;
        AdvanceTo(Period - Lead);
        var next = Kids(keys)[1];

        AdvanceTo(Period - Tick);
        Assert.Equal(first, keys.Current.Key.KeyId);

        AdvanceTo(Period);
        Assert.Equal(next, keys.Current.Key.KeyId);
        Assert.Equal([next, first], Kids(keys));
    }

    [Fact]
    public void Ring_RetiredKey_VerifiesForAccessTokenLifetimePlusClockSkew_ThenIsDropped()
    {
        var keys = Create(Options());
        var first = keys.Current.Key.KeyId;
        AdvanceTo(Period - Lead);
        var next = Kids(keys)[1];

        AdvanceTo(Period + Window - Tick);
        Assert.Contains(first, Kids(keys));
        Assert.NotNull(keys.FindValidationKey(first, "ES256"));

        AdvanceTo(Period + Window);
        Assert.Equal([next], Kids(keys));
        Assert.Null(keys.FindValidationKey(first, "ES256"));
        Assert.DoesNotContain(keys.ValidationKeys, k => k.KeyId == first);
    }

    [Fact]
    public async Task Ring_ConcurrentCallersAtTheLeadTime_CreateExactlyOneNextKey()
    {
        var store = new CountingStore(new InMemorySigningKeyStore(), loadDelay: TimeSpan.FromMilliseconds(20));
        var keys = Create(Options(), store);
        AdvanceTo(Period - Lead + TimeSpan.FromMinutes(1));

        // Dedicated threads released together (pool threads would trickle in and not race).
        using var start = new Barrier(16);
        var seen = new string[16][];
        var threads = Enumerable.Range(0, 16).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            seen[i] = Kids(keys);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(2, store.Saves); // the first key, then one next key
        Assert.All(seen, kids => Assert.Equal(2, kids.Length));
        Assert.Single(seen.Select(k => k[1]).Distinct(StringComparer.Ordinal));
        Assert.Equal(2, (await store.LoadAsync(default)).Count);
    }

    [Fact]
    public void Ring_FindValidationKey_RequiresTheKidAndTheKeysOwnAlgorithm()
    {
        var keys = Create(Options());
        var kid = keys.Current.Key.KeyId;

        Assert.Same(keys.Current.Key, keys.FindValidationKey(kid, "ES256"));
        Assert.Null(keys.FindValidationKey(kid, "RS256"));
        Assert.Null(keys.FindValidationKey("unknown", "ES256"));
        Assert.Null(keys.FindValidationKey(null, "ES256"));
    }

    [Fact]
    public async Task Reader_TokenOfARetiredKey_IsReadUntilTheKeyIsDropped()
    {
        var options = Microsoft.Extensions.Options.Options.Create(Options());
        var keys = Create(options.Value);
        var reader = new AccessTokenReader(keys, _clock, options);
        AdvanceTo(Period - TimeSpan.FromMinutes(5));
        var token = new AccessTokenIssuer(keys, _clock, options).Issue("https://as.example", ["https://as.example/mcp"], new GrantSubject("s", null), "c", ["mcp:tools"], "grant-1").Token;

        AdvanceTo(Period + Window - TimeSpan.FromSeconds(1));
        Assert.NotNull(await reader.ReadAsync(token, "https://as.example", checkLifetime: false));

        AdvanceTo(Period + Window);
        Assert.Null(await reader.ReadAsync(token, "https://as.example", checkLifetime: false)); // expired or not, its key is gone
    }

    [Fact]
    public void Ring_Rs256_CreatesRsa2048Keys()
    {
        var keys = Create(Options(algorithm: "RS256"));

        var rsa = Assert.IsType<RsaSecurityKey>(keys.Current.Key);
        Assert.Equal(2048, rsa.KeySize);
        Assert.Equal("RS256", keys.Current.Algorithm);
        var jwk = Assert.Single(keys.PublicJwks);
        Assert.Equal("RSA", jwk["kty"]);
        Assert.Equal("RS256", jwk["alg"]);
        Assert.Equal(Base64UrlEncoder.Encode(rsa.ComputeJwkThumbprint()), jwk["kid"]);
    }

    [Fact]
    public void Ring_Es256_CreatesP256Keys()
    {
        var keys = Create(Options());

        var ec = Assert.IsType<ECDsaSecurityKey>(keys.Current.Key);
        Assert.Equal(256, ec.KeySize);
        Assert.Equal("ES256", keys.Current.Algorithm);
        Assert.Equal("P-256", Assert.Single(keys.PublicJwks)["crv"]);
    }

    [Theory]
    [InlineData("ES256", new[] { "alg", "crv", "kid", "kty", "use", "x", "y" })]
    [InlineData("RS256", new[] { "alg", "e", "kid", "kty", "n", "use" })]
    public void Ring_Jwks_ListsCurrentNextAndRetiredKeys_WithoutPrivateMembers(string algorithm, string[] members)
    {
        // Tokens live 2 h, longer than the 1 h period: at 1 h 50 min the first key still verifies, the second signs and
        // the third is published.
        var options = Options(algorithm: algorithm, period: TimeSpan.FromHours(1));
        options.Tokens.AccessTokenLifetime = TimeSpan.FromHours(2);
        var keys = Create(options);
        var first = keys.Current.Key.KeyId;
        AdvanceTo(TimeSpan.FromMinutes(50));
        var second = Kids(keys)[1];

        AdvanceTo(TimeSpan.FromMinutes(110));

        var kids = Kids(keys);
        Assert.Equal(3, kids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(second, keys.Current.Key.KeyId);
        Assert.Equal([second, first], [kids[0], kids[2]]); // signing key first, retired last
        foreach (var jwk in keys.PublicJwks)
        {
            Assert.Equal(members, jwk.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("sig", jwk["use"]);
            Assert.Equal(algorithm, jwk["alg"]);
        }

        var json = JsonSerializer.Serialize(keys.PublicJwks);
        Assert.DoesNotContain(PrivateMembers, m => json.Contains($"\"{m}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfiguredCredentials_AreNeverRotated()
    {
        var store = new CountingStore(new InMemorySigningKeyStore());
        var credentials = new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)), SecurityAlgorithms.RsaSha256);
        var options = Options();
        options.Signing.Credentials = credentials;
        var keys = Create(options, store);

        AdvanceTo(TimeSpan.FromDays(400));

        Assert.Same(credentials, keys.Current);
        Assert.Single(keys.PublicJwks);
        Assert.Equal(0, store.Saves);
        Assert.Equal(["RS256"], keys.Algorithms);
    }

    [Fact]
    public void Ring_StoreFailingAtRotation_KeepsSigningAndPublishesTheNextKeyOnceSaved()
    {
        var store = new CountingStore(new InMemorySigningKeyStore());
        var keys = Create(Options(), store);
        var first = keys.Current.Key.KeyId;

        store.Failing = true;
        AdvanceTo(Period - Lead);
        Assert.Equal(first, keys.Current.Key.KeyId);
        Assert.Equal([first], Kids(keys)); // a key that could not be saved is not published: a restart would lose it

        store.Failing = false;
        AdvanceTo(Period - Lead + TimeSpan.FromMinutes(1));
        Assert.Equal(2, Kids(keys).Length);
    }

    [Fact]
    public void Ring_AfterADowntimeLongerThanThePeriod_StartsANewKeyAndDropsTheOldOne()
    {
        var first = Create(Options(_folder)).Current.Key.KeyId;

        AdvanceTo(3 * Period);
        var keys = Create(Options(_folder));

        Assert.NotEqual(first, keys.Current.Key.KeyId);
        Assert.Equal([keys.Current.Key.KeyId], Kids(keys));
        Assert.Single(Directory.GetFiles(_folder, "*.pem"));
    }

    [Fact]
    public void Restart_OverTheSameFolder_KeepsTheRing()
    {
        var before = Create(Options(_folder));
        AdvanceTo(Period - Lead + TimeSpan.FromMinutes(1));
        var kids = Kids(before);
        Assert.Equal(2, kids.Length);

        var after = Create(Options(_folder));

        Assert.Equal(kids, Kids(after));
        Assert.Equal(before.Current.Key.KeyId, after.Current.Key.KeyId);
        var data = Encoding.UTF8.GetBytes("payload");
        var signature = ((ECDsaSecurityKey)after.Current.Key).ECDsa.SignData(data, HashAlgorithmName.SHA256);
        Assert.True(((ECDsaSecurityKey)before.Current.Key).ECDsa.VerifyData(data, signature, HashAlgorithmName.SHA256));

        AdvanceTo(Period);
        Assert.Equal(kids[1], after.Current.Key.KeyId);
        Assert.Equal(kids[1], before.Current.Key.KeyId);
    }

    [Fact]
    public void Restart_WithAnotherSigningAlgorithm_ChangesItAtTheNextRotation()
    {
        var es256 = Create(Options(_folder)).Current.Key.KeyId;

        var keys = Create(Options(_folder, algorithm: "RS256"));
        Assert.Equal(es256, keys.Current.Key.KeyId);
        Assert.Equal("ES256", keys.Current.Algorithm);

        AdvanceTo(Period - Lead);
        Assert.Equal(["ES256", "RS256"], keys.PublicJwks.Select(j => (string)j["alg"]));

        AdvanceTo(Period);
        Assert.Equal("RS256", keys.Current.Algorithm);
        Assert.NotNull(keys.FindValidationKey(es256, "ES256")); // tokens of the ES256 key still verify
    }

    [Fact]
    public void LegacySigningKeyPem_IsAdoptedAsTheCurrentKey()
    {
        Directory.CreateDirectory(_folder);
        using var legacy = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(Path.Combine(_folder, FileSigningKeyStore.LegacyKeyFileName), legacy.ExportPkcs8PrivateKeyPem());
        var thumbprint = Base64UrlEncoder.Encode(new ECDsaSecurityKey(legacy).ComputeJwkThumbprint());

        var keys = Create(Options(_folder));

        Assert.Equal(thumbprint, keys.Current.Key.KeyId);
        Assert.Equal([thumbprint], Kids(keys));
        var data = Encoding.UTF8.GetBytes("payload");
        Assert.True(legacy.VerifyData(data, ((ECDsaSecurityKey)keys.Current.Key).ECDsa.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
        Assert.True(File.Exists(Path.Combine(_folder, $"signing-key-{thumbprint}.pem")));
        Assert.True(File.Exists(Path.Combine(_folder, FileSigningKeyStore.ManifestFileName)));
        Assert.False(File.Exists(Path.Combine(_folder, FileSigningKeyStore.LegacyKeyFileName)));

        // It rotates like any key of the ring, from its adoption.
        AdvanceTo(Period);
        Assert.NotEqual(thumbprint, keys.Current.Key.KeyId);
        Assert.Equal(thumbprint, Create(Options(_folder)).PublicJwks[1]["kid"]);
    }

    [Fact]
    public async Task FileStore_RoundTrip_KeepsEveryKeyAndItsSchedule()
    {
        var saved = new[] { Stored("ES256", Start, Start + Period), Stored("RS256", Start + Period, Start + (2 * Period)) };
        await new FileSigningKeyStore(_folder).SaveAsync(saved, default);

        var loaded = await new FileSigningKeyStore(_folder).LoadAsync(default);

        Assert.Equal(saved.Length, loaded.Count);
        foreach (var (expected, actual) in saved.Zip(loaded.OrderBy(k => k.Activates)))
        {
            Assert.Equal(expected.KeyId, actual.KeyId);
            Assert.Equal(expected.Algorithm, actual.Algorithm);
            Assert.Equal(expected.PrivateKeyPem, actual.PrivateKeyPem);
            Assert.Equal(expected.Created, actual.Created);
            Assert.Equal(expected.Activates, actual.Activates);
            Assert.Equal(expected.Retires, actual.Retires);
        }
    }

    [Fact]
    public async Task FileStore_KeyFilesAndManifest_AreOwnerOnly_AndNoTemporaryFileRemains()
    {
        await new FileSigningKeyStore(_folder).SaveAsync([Stored("ES256", Start, Start + Period), Stored("RS256", Start, Start + Period)], default);

        var files = Directory.GetFiles(_folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, files.Length);
        Assert.Contains(FileSigningKeyStore.ManifestFileName, files);
        Assert.Equal(2, files.Count(f => f!.StartsWith("signing-key-", StringComparison.Ordinal) && f.EndsWith(".pem", StringComparison.Ordinal)));
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes exist on Linux and macOS only; Windows relies on the folder's ACL.
        }

        foreach (var file in Directory.GetFiles(_folder))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder));
    }

    [Fact]
    public async Task FileStore_Manifest_IsReplacedByAMove_NotRewrittenInPlace()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // an open file cannot be replaced on Windows
        }

        var store = new FileSigningKeyStore(_folder);
        var first = Stored("ES256", Start, Start + Period);
        await store.SaveAsync([first], default);
        var manifest = Path.Combine(_folder, FileSigningKeyStore.ManifestFileName);
        var before = await File.ReadAllTextAsync(manifest);

        // A reader that opened the manifest before the save keeps reading the whole old file: the new one was moved in
        // beside it. Rewriting in place would truncate the file under the reader.
        using var reader = new FileStream(manifest, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        await store.SaveAsync([first, Stored("ES256", Start + Period, Start + (2 * Period))], default);

        Assert.Equal(before, await new StreamReader(reader).ReadToEndAsync());
        Assert.Equal(2, (await store.LoadAsync(default)).Count);
        Assert.Equal(2, Directory.GetFiles(_folder, "*.pem").Length);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public async Task FileStore_KeyNoLongerListed_HasItsFileDeleted()
    {
        var store = new FileSigningKeyStore(_folder);
        var old = Stored("ES256", Start, Start + Period);
        var kept = Stored("ES256", Start + Period, Start + (2 * Period));
        await store.SaveAsync([old, kept], default);

        await store.SaveAsync([kept], default);

        Assert.Equal([$"signing-key-{kept.KeyId}.pem"], Directory.GetFiles(_folder, "*.pem").Select(f => Path.GetFileName(f)));
    }

    [Fact]
    public async Task FileStore_ManifestWithAPathAsKid_IsRefused()
    {
        Directory.CreateDirectory(_folder);
        var now = Start.ToString("O");
        await File.WriteAllTextAsync(
            Path.Combine(_folder, FileSigningKeyStore.ManifestFileName),
            $$"""{"version":1,"keys":[{"kid":"../../etc/key","alg":"ES256","created":"{{now}}","activates":"{{now}}","retires":"{{now}}"}]}""");

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await new FileSigningKeyStore(_folder).LoadAsync(default));
    }

    [Fact]
    public void StoredSigningKey_ToString_HasNoPrivateKey()
    {
        var key = Stored("ES256", Start, Start + Period);
        Assert.DoesNotContain("PRIVATE", key.ToString(), StringComparison.Ordinal);
        Assert.Contains(key.KeyId, key.ToString(), StringComparison.Ordinal);
    }

    private static StoredSigningKey Stored(string algorithm, DateTimeOffset activates, DateTimeOffset retires)
    {
        var pem = SigningKeyMaterial.CreatePem(algorithm);
        var kid = SigningKeyMaterial.Import(pem, algorithm).Key.KeyId;
        return new StoredSigningKey(kid, algorithm, pem, activates, activates, retires);
    }

    /// <summary>Counts saves; can be made to fail, or slow, to widen a race.</summary>
    private sealed class CountingStore(ISigningKeyStore inner, TimeSpan loadDelay = default) : ISigningKeyStore
    {
        private int _saves;

        public int Saves => _saves;

        public bool Failing { get; set; }

        public ValueTask<IReadOnlyList<StoredSigningKey>> LoadAsync(CancellationToken cancellationToken)
        {
            if (loadDelay > TimeSpan.Zero)
            {
                Thread.Sleep(loadDelay);
            }

            return inner.LoadAsync(cancellationToken);
        }

        public ValueTask SaveAsync(IReadOnlyList<StoredSigningKey> keys, CancellationToken cancellationToken)
        {
            if (Failing)
            {
                throw new IOException("The disk is full.");
            }

            Interlocked.Increment(ref _saves);
            return inner.SaveAsync(keys, cancellationToken);
        }
    }

    [Theory]
    [InlineData("""{"version":1}""")]
    [InlineData("""{"keys":[{}]}""")]
    [InlineData("""{"keys":[null]}""")]
    public async Task FileStore_DamagedManifest_IsRefusedWithTheFix_NotANullReference(string manifest)
    {
        Directory.CreateDirectory(_folder);
        await File.WriteAllTextAsync(Path.Combine(_folder, "signing-keys.json"), manifest);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await new FileSigningKeyStore(_folder).LoadAsync(default));

        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
        Assert.Contains("delete the folder's signing-key* files", error.Message, StringComparison.Ordinal);
    }
}
