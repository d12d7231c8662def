using System.Text;
using McpSseAuth.Tokens;

namespace McpSseAuth.Tests.Unit;

/// <summary>The sealed answer kept with a spent refresh token opens only with that token, and not after tampering.</summary>
public sealed class RefreshSuccessorTests
{
    private static readonly byte[] Answer = Encoding.UTF8.GetBytes("""{"access_token":"a","refresh_token":"r2"}""");

    [Fact]
    public void Sealed_OpensWithTheSpentHandle()
        => Assert.Equal(Answer, RefreshSuccessor.Open("r1", RefreshSuccessor.Seal("r1", Answer)));

    [Fact]
    public void Sealed_DoesNotContainTheAnswerInClear_AndDiffersEachTime()
    {
        var once = RefreshSuccessor.Seal("r1", Answer);
        var twice = RefreshSuccessor.Seal("r1", Answer);
        Assert.NotEqual(once, twice);
        Assert.DoesNotContain("r2", Encoding.UTF8.GetString(Convert.FromBase64String(once.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (once.Length % 4)) % 4))), StringComparison.Ordinal);
    }

    [Fact]
    public void Sealed_DoesNotOpenWithAnotherHandle()
        => Assert.Null(RefreshSuccessor.Open("r1-other", RefreshSuccessor.Seal("r1", Answer)));

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    [InlineData(40)]
    public void Tampered_DoesNotOpen(int position)
    {
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(RefreshSuccessor.Seal("r1", Answer));
        bytes[position] ^= 0x01;
        Assert.Null(RefreshSuccessor.Open("r1", System.Buffers.Text.Base64Url.EncodeToString(bytes)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64url !")]
    [InlineData("AAAA")]
    public void Garbage_DoesNotOpen(string sealedValue) => Assert.Null(RefreshSuccessor.Open("r1", sealedValue));
}
