using System.Security.Claims;
using McpSseAuth.Mcp;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Time.Testing;

namespace McpSseAuth.Tests.Unit;

/// <summary>
/// A tool's <c>requestState</c> goes through the client's hands between two round trips (MCP 2026-07-28, multi round-trip
/// requests): the attacker's tests change it, replay it for another user, client or operation, and keep it too long.
/// </summary>
public sealed class RequestStateSealTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));
    private readonly IDataProtectionProvider _keys = new EphemeralDataProtectionProvider();

    private static ClaimsPrincipal Caller(string subject = "alice", string? clientId = "app-1")
        => new(new ClaimsIdentity(clientId is null ? [new Claim("sub", subject)] : [new Claim("sub", subject), new Claim("client_id", clientId)], "Bearer"));

    private RequestStateSeal Seal() => new(_keys, _time);

    [Fact]
    public void AStateSealedForTheCaller_OpensForTheSameCallerAndOperation()
    {
        var seal = Seal();
        var sealedState = seal.Seal(Caller(), "book_flight", """{"step":2,"from":"OSL"}""");

        Assert.DoesNotContain("OSL", sealedState, StringComparison.Ordinal);
        Assert.Equal("""{"step":2,"from":"OSL"}""", seal.Open(Caller(), "book_flight", sealedState));
    }

    [Fact]
    public void AChangedState_IsRefused()
    {
        var seal = Seal();
        var sealedState = seal.Seal(Caller(), "book_flight", "step 2");
        var middle = sealedState.Length / 2;
        var changed = sealedState[..middle] + (sealedState[middle] == 'A' ? 'B' : 'A') + sealedState[(middle + 1)..];

        Assert.Null(seal.Open(Caller(), "book_flight", changed));
        Assert.Null(seal.Open(Caller(), "book_flight", sealedState[..^2]));
    }

    [Fact]
    public void AStateReplayedByAnotherUser_ThroughAnotherClient_OrForAnotherOperation_IsRefused()
    {
        var seal = Seal();
        var sealedState = seal.Seal(Caller(), "book_flight", "step 2");

        Assert.Null(seal.Open(Caller(subject: "bob"), "book_flight", sealedState));
        Assert.Null(seal.Open(Caller(clientId: "app-2"), "book_flight", sealedState));
        Assert.Null(seal.Open(Caller(), "cancel_flight", sealedState));
        Assert.Null(seal.Open(new ClaimsPrincipal(new ClaimsIdentity()), "book_flight", sealedState));
    }

    [Fact]
    public void AStateKeptPastItsLifetime_IsRefused()
    {
        var seal = Seal();
        var sealedState = seal.Seal(Caller(), "book_flight", "step 2", TimeSpan.FromMinutes(2));

        _time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        Assert.Equal("step 2", seal.Open(Caller(), "book_flight", sealedState));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(seal.Open(Caller(), "book_flight", sealedState));
    }

    [Fact]
    public void AStateSealedWithOtherKeys_OrNoStateAtAll_IsRefused_WithoutAnException()
    {
        var other = new RequestStateSeal(new EphemeralDataProtectionProvider(), _time).Seal(Caller(), "book_flight", "step 2");
        var seal = Seal();

        Assert.Null(seal.Open(Caller(), "book_flight", other));
        Assert.Null(seal.Open(Caller(), "book_flight", null));
        Assert.Null(seal.Open(Caller(), "book_flight", ""));
        Assert.Null(seal.Open(Caller(), "book_flight", "not base64url!*"));
        Assert.Null(seal.Open(Caller(), "book_flight", new string('A', 70_000)));
    }

    [Fact]
    public void SealingNeedsAnMcpCaller_AndAPositiveLifetime()
    {
        var seal = Seal();

        Assert.Throws<InvalidOperationException>(() => seal.Seal(Caller(clientId: null), "book_flight", "step 2"));
        Assert.Throws<ArgumentOutOfRangeException>(() => seal.Seal(Caller(), "book_flight", "step 2", TimeSpan.Zero));
    }
}
