using System.Buffers.Binary;
using McpSseAuth.Hosting;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// Local users' password hashes follow OWASP's Password Storage Cheat Sheet (PBKDF2-HMAC-SHA512, 210,000 iterations,
/// random salt) unless the host chooses another count, and a hash keeps verifying whatever count it was made with.
/// </summary>
public sealed class PasswordHashTests
{
    /// <summary>The parameters written in an ASP.NET Core V3 hash: PRF (2 = HMAC-SHA512), iterations, salt length.</summary>
    private static (int Prf, int Iterations, int SaltBytes) Parameters(string hash)
    {
        var bytes = Convert.FromBase64String(hash);
        Assert.Equal(0x01, bytes[0]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(5)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(9)));
    }

    [Fact]
    public void By_default_hashes_are_PBKDF2_HMAC_SHA512_with_OWASPs_210000_iterations_and_a_random_128_bit_salt()
    {
        var options = new McpOAuthOptions().AddUser("alice", "correct horse");
        var hash = Assert.Single(options.Users).PasswordHash;

        Assert.Equal((2, 210_000, 16), Parameters(hash));
        Assert.Equal((2, 210_000, 16), Parameters(McpOAuthUser.HashPassword("alice", "correct horse")));
        Assert.NotEqual(hash, McpOAuthUser.HashPassword("alice", "correct horse"));
        Assert.Equal(210_000, new McpOAuthSignInOptions().PasswordHashIterations);
    }

    [Fact]
    public void A_host_chooses_the_iterations_of_the_hashes_it_makes()
    {
        var options = new McpOAuthOptions { SignIn = { PasswordHashIterations = 600_000 } }.AddUser("alice", "pw");

        Assert.Equal(600_000, Parameters(options.Users[0].PasswordHash).Iterations);
        Assert.Equal(50_000, Parameters(McpOAuthUser.HashPassword("bob", "pw", 50_000)).Iterations);
        Assert.Throws<ArgumentOutOfRangeException>(() => McpOAuthUser.HashPassword("bob", "pw", 9_999));
    }

    [Fact]
    public void A_hash_made_with_another_count_still_verifies_with_its_own()
    {
        var older = new McpOAuthUser { UserName = "alice", PasswordHash = McpOAuthUser.HashPassword("alice", "pw", 100_000) };

        Assert.True(LocalUserPasswords.Verify(older, "alice", "pw", 210_000));
        Assert.False(LocalUserPasswords.Verify(older, "alice", "wrong", 210_000));
        Assert.False(LocalUserPasswords.Verify(null, "nobody", "pw", 210_000));
    }

    [Fact]
    public void Fewer_iterations_than_NIST_allows_are_refused_at_startup_with_the_fix()
    {
        var failures = new List<string>();
        SignInOptionsChecks.Check(new McpOAuthOptions { SignIn = { PasswordHashIterations = 1_000 } }, failures);

        var failure = Assert.Single(failures, f => f.Contains("PasswordHashIterations", StringComparison.Ordinal));
        Assert.Contains("PasswordHashIterations must be at least 10,000", failure, StringComparison.Ordinal);
        Assert.Contains("210,000", failure, StringComparison.Ordinal);
    }
}
