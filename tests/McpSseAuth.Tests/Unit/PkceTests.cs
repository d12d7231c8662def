using McpSseAuth.Grants;

namespace McpSseAuth.Tests.Unit;

public sealed class PkceTests
{
    // RFC 7636 Appendix B.
    private const string RfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private const string RfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    [Fact]
    public void Pkce_Rfc7636AppendixBVector_Verifies()
    {
        Assert.True(Pkce.IsValidVerifier(RfcVerifier));
        Assert.True(Pkce.IsValidChallenge(RfcChallenge));
        Assert.True(Pkce.Verify(RfcVerifier, RfcChallenge));
    }

    [Fact]
    public void Pkce_WrongVerifier_Fails()
    {
        var other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl";
        Assert.True(Pkce.IsValidVerifier(other));
        Assert.False(Pkce.Verify(other, RfcChallenge));
    }

    [Fact]
    public void Pkce_PlainVerifierAgainstS256Challenge_Fails()
    {
        // A "plain" client sends challenge == verifier; S256-only servers must not accept that pairing.
        var verifier = new string('a', 43);
        Assert.False(Pkce.Verify(verifier, verifier));
    }

    [Fact]
    public void Pkce_VerifierAgainstChallengeOfDifferentCase_Fails()
        => Assert.False(Pkce.Verify(RfcVerifier, RfcChallenge.ToUpperInvariant()));

    [Fact]
    public void Pkce_NullOrEmptyVerifier_Fails()
    {
        Assert.False(Pkce.Verify(null, RfcChallenge));
        Assert.False(Pkce.Verify("", RfcChallenge));
        Assert.False(Pkce.IsValidVerifier(null));
    }

    [Theory]
    [InlineData(42, false)]
    [InlineData(43, true)]
    [InlineData(128, true)]
    [InlineData(129, false)]
    public void Pkce_VerifierLength_IsBoundedTo43Through128(int length, bool valid)
        => Assert.Equal(valid, Pkce.IsValidVerifier(new string('A', length)));

    [Fact]
    public void Pkce_VerifierOfAllUnreservedCharacters_IsValid()
        => Assert.True(Pkce.IsValidVerifier("ABCXYZabcxyz0189-._~" + new string('q', 30)));

    [Theory]
    [InlineData(' ')]
    [InlineData('+')]
    [InlineData('/')]
    [InlineData('=')]
    [InlineData('%')]
    [InlineData('é')]
    [InlineData('\n')]
    [InlineData('\0')]
    public void Pkce_VerifierWithCharacterOutsideUnreserved_IsInvalid(char bad)
    {
        var verifier = new string('a', 42) + bad;
        Assert.False(Pkce.IsValidVerifier(verifier));
        Assert.False(Pkce.Verify(verifier, RfcChallenge));
    }

    [Fact]
    public void Pkce_VerifierOfFullWidthDigits_IsInvalid()
        => Assert.False(Pkce.IsValidVerifier(new string('\uFF11', 43))); // char.IsDigit would accept these; RFC 7636 does not.

    [Theory]
    [InlineData(42)]
    [InlineData(44)]
    [InlineData(0)]
    [InlineData(128)]
    public void Pkce_ChallengeNot43Characters_IsInvalid(int length)
        => Assert.False(Pkce.IsValidChallenge(new string('A', length)));

    [Theory]
    [InlineData("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM")] // base64 '+', not base64url
    [InlineData("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw/cM")]
    [InlineData("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=")] // padding
    [InlineData("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw.cM")] // '.' is a verifier character, not base64url
    [InlineData("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw~cM")]
    [InlineData("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw cM")]
    public void Pkce_ChallengeWithNonBase64UrlCharacter_IsInvalid(string challenge)
    {
        Assert.Equal(43, challenge.Length);
        Assert.False(Pkce.IsValidChallenge(challenge));
    }

    [Fact]
    public void Pkce_NullChallenge_IsInvalid()
        => Assert.False(Pkce.IsValidChallenge(null));

    [Fact]
    public void Pkce_S256IsTheMethodName()
        => Assert.Equal("S256", Pkce.S256);
}
