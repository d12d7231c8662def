using System.Security.Claims;
using McpSseAuth.UserTokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// Per-user secrets: encrypted with Data Protection under a purpose bound to the subject and the slot, so the store never
/// holds a token in clear and a value moved to another user or slot reads as nothing; and the tools' API over them.
/// </summary>
public sealed class UserSecretsTests
{
    private readonly UserSecretStore _store = new(new McpSseAuth.Storage.InMemoryOAuthStorage(TimeProvider.System));
    private readonly UserSecrets _secrets;
    private readonly McpUserTokens _tokens;
    private readonly McpOAuthOptions _options = new();

    public UserSecretsTests()
    {
        _secrets = new UserSecrets(_store, new EphemeralDataProtectionProvider(), Microsoft.Extensions.Logging.Abstractions.NullLogger<UserSecrets>.Instance);
        _options.AddServiceToken("github", "GitHub").AddServiceToken("jira", "Jira");
        var schemes = new AuthenticationSchemeProvider(Options.Create(new AuthenticationOptions()));
        var refresh = new UpstreamTokenRefresh(schemes, new ServiceCollection().BuildServiceProvider(), TimeProvider.System, NullLogger<UpstreamTokenRefresh>.Instance);
        var upstream = new UpstreamTokenStore(_secrets, refresh, TimeProvider.System, Options.Create(_options), NullLogger<UpstreamTokenStore>.Instance);
        _tokens = new McpUserTokens(upstream, _secrets, Options.Create(_options));
    }

    private static ClaimsPrincipal User(string subject)
        => new(new ClaimsIdentity([new Claim("sub", subject)], "test"));

    [Fact]
    public async Task WriteThenRead_ReturnsTheValue()
    {
        await _secrets.WriteAsync("alice", "service:github", "ghp_secret", default);

        Assert.Equal("ghp_secret", await _secrets.ReadAsync("alice", "service:github", default));
    }

    [Fact]
    public async Task StoredValue_IsNotThePlaintext_AndDoesNotContainIt()
    {
        await _secrets.WriteAsync("alice", "service:github", "ghp_secret_value_123", default);

        var stored = await _store.FindAsync("alice", "service:github", default);

        Assert.NotNull(stored);
        Assert.NotEqual("ghp_secret_value_123", stored);
        Assert.DoesNotContain("ghp_secret_value_123", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CiphertextCopiedToAnotherUsersSlot_DoesNotDecrypt_AndReadsAsNull()
    {
        await _secrets.WriteAsync("alice", "service:github", "alice-token", default);
        var aliceCiphertext = (await _store.FindAsync("alice", "service:github", default))!;

        await _store.SetAsync("mallory", "service:github", aliceCiphertext, default);

        Assert.Null(await _secrets.ReadAsync("mallory", "service:github", default));
        Assert.Equal("alice-token", await _secrets.ReadAsync("alice", "service:github", default));
    }

    [Fact]
    public async Task CiphertextCopiedToAnotherSlotOfTheSameUser_DoesNotDecrypt()
    {
        await _secrets.WriteAsync("alice", "upstream", "{\"access_token\":\"x\"}", default);
        var ciphertext = (await _store.FindAsync("alice", "upstream", default))!;

        await _store.SetAsync("alice", "service:github", ciphertext, default);

        Assert.Null(await _secrets.ReadAsync("alice", "service:github", default));
    }

    [Fact]
    public async Task SubjectAndSlotAreNotConfusable()
    {
        // Purposes are separate strings, not a concatenation: ("a:b", "c") is not ("a", "b:c").
        await _secrets.WriteAsync("ext:abc", "service:github", "token", default);
        var ciphertext = (await _store.FindAsync("ext:abc", "service:github", default))!;

        await _store.SetAsync("ext", "abc:service:github", ciphertext, default);

        Assert.Null(await _secrets.ReadAsync("ext", "abc:service:github", default));
    }

    [Fact]
    public async Task ValueFromAnotherKeyRing_ReadsAsNull_ButIsKeptForAnInstanceThatHasTheKey()
    {
        // Keys not persisted or not shared: this instance cannot read it, but the one that wrote it still can.
        var before = new UserSecrets(_store, new EphemeralDataProtectionProvider(), Microsoft.Extensions.Logging.Abstractions.NullLogger<UserSecrets>.Instance);
        await before.WriteAsync("alice", "upstream", "old", default);

        Assert.Null(await _secrets.ReadAsync("alice", "upstream", default));
        Assert.NotNull(await _store.FindAsync("alice", "upstream", default));
        Assert.Equal("old", await before.ReadAsync("alice", "upstream", default));
    }

    [Fact]
    public async Task Read_NothingStored_IsNull()
        => Assert.Null(await _secrets.ReadAsync("alice", "service:github", default));

    [Fact]
    public async Task Remove_ForgetsTheValue_AndSaysWhetherThereWasOne()
    {
        await _secrets.WriteAsync("alice", "service:github", "t", default);

        Assert.True(await _secrets.RemoveAsync("alice", "service:github", default));
        Assert.False(await _secrets.RemoveAsync("alice", "service:github", default));
        Assert.Null(await _secrets.ReadAsync("alice", "service:github", default));
    }

    [Fact]
    public async Task List_GivesOnlyThisUsersSlots_InOrder()
    {
        await _secrets.WriteAsync("alice", "service:jira", "j", default);
        await _secrets.WriteAsync("alice", "service:github", "g", default);
        await _secrets.WriteAsync("bob", "upstream", "u", default);

        Assert.Equal(["service:github", "service:jira"], await _secrets.ListAsync("alice", default));
        Assert.Equal(["upstream"], await _secrets.ListAsync("bob", default));
        Assert.Empty(await _secrets.ListAsync("carol", default));
    }

    [Fact]
    public async Task ServiceToken_SetGetDelete_ForTheUserOfThePrincipal()
    {
        var alice = User("alice");

        await _tokens.SetServiceTokenAsync(alice, "github", "ghp_alice");

        Assert.Equal("ghp_alice", await _tokens.GetServiceTokenAsync(alice, "github"));
        Assert.Null(await _tokens.GetServiceTokenAsync(alice, "jira"));
        Assert.Null(await _tokens.GetServiceTokenAsync(User("bob"), "github"));
        Assert.Equal(["github"], (await _tokens.StoredServicesAsync(alice, default)).Stored);
        Assert.True(await _tokens.DeleteServiceTokenAsync(alice, "github"));
        Assert.False(await _tokens.DeleteServiceTokenAsync(alice, "github"));
        Assert.Null(await _tokens.GetServiceTokenAsync(alice, "github"));
    }

    [Fact]
    public async Task ServiceToken_SetAgain_ReplacesTheValue()
    {
        var alice = User("alice");
        await _tokens.SetServiceTokenAsync(alice, "github", "first");

        await _tokens.SetServiceTokenAsync(alice, "github", "second");

        Assert.Equal("second", await _tokens.GetServiceTokenAsync(alice, "github"));
    }

    [Fact]
    public async Task ServiceToken_UpstreamSlotIsNotListedAsAService()
    {
        await _secrets.WriteAsync("alice", UpstreamTokenStore.Slot, "{}", default);
        await _tokens.SetServiceTokenAsync(User("alice"), "jira", "j");

        Assert.Equal(["jira"], (await _tokens.StoredServicesAsync(User("alice"), default)).Stored);
    }

    [Fact]
    public async Task ServiceToken_UnknownService_IsArgumentException_ForEveryOperation()
    {
        var alice = User("alice");

        var get = await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.GetServiceTokenAsync(alice, "gitlab"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.SetServiceTokenAsync(alice, "gitlab", "t"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.DeleteServiceTokenAsync(alice, "gitlab"));
        // Service names are exact: a differently cased name is another service.
        await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.GetServiceTokenAsync(alice, "GitHub"));

        Assert.Equal("service", get.ParamName);
        Assert.Contains("AddServiceToken", get.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.ListAsync("alice", default));
    }

    [Fact]
    public async Task ServiceToken_PrincipalWithoutSub_IsArgumentException()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity());
        var noSub = new ClaimsPrincipal(new ClaimsIdentity([new Claim("name", "Alice")], "test"));

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.GetServiceTokenAsync(noSub, "github"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.SetServiceTokenAsync(anonymous, "github", "t"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.DeleteServiceTokenAsync(noSub, "github"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.GetUpstreamAccessTokenAsync(noSub));

        Assert.Equal("user", error.ParamName);
        Assert.Empty(await _store.ListAsync("", default));
    }

    [Fact]
    public async Task ServiceToken_NullArguments_AreArgumentNullException()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _tokens.GetServiceTokenAsync(null!, "github"));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await _tokens.GetServiceTokenAsync(User("alice"), null!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("line\nbreak")]
    [InlineData("nul\0")]
    [InlineData("del\u007f")]
    [InlineData("caf\u00e9")]
    [InlineData(" leading")]
    public async Task ServiceToken_NotPrintableAsciiOrEmpty_IsRefused_AndNothingStored(string token)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.SetServiceTokenAsync(User("alice"), "github", token));

        Assert.Equal("token", error.ParamName);
        Assert.Null(await _store.FindAsync("alice", "service:github", default));
    }

    [Fact]
    public async Task ServiceToken_LengthLimit_IsInclusive()
    {
        var alice = User("alice");
        var longest = new string('a', McpUserTokens.MaxServiceTokenLength);

        await _tokens.SetServiceTokenAsync(alice, "github", longest);
        await Assert.ThrowsAsync<ArgumentException>(async () => await _tokens.SetServiceTokenAsync(alice, "jira", longest + "a"));

        Assert.Equal(4096, McpUserTokens.MaxServiceTokenLength);
        Assert.Equal(longest, await _tokens.GetServiceTokenAsync(alice, "github"));
        Assert.Null(await _tokens.GetServiceTokenAsync(alice, "jira"));
    }

    [Fact]
    public async Task ServiceToken_EveryPrintableAsciiCharacter_IsAccepted()
    {
        var all = new string([.. Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(c => (char)c)]);

        await _tokens.SetServiceTokenAsync(User("alice"), "github", all);

        Assert.Equal(all, await _tokens.GetServiceTokenAsync(User("alice"), "github"));
    }

    [Fact]
    public async Task UpstreamAccessToken_LocalUserWithNothingStored_IsNull()
        => Assert.Null(await _tokens.GetUpstreamAccessTokenAsync(User("alice")));
}
