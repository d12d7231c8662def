using McpSseAuth.Grants;
using McpSseAuth.Storage;


namespace McpSseAuth.Tests.Unit;

/// <summary>A decoded entry is reused only for the same key and the very same bytes.</summary>
public sealed class DecodedEntriesTests
{
    private static readonly DateTimeOffset At = new(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static Consent Consent(string scope) => new()
    {
        Subject = "alice",
        ClientId = "client-1",
        Scopes = [scope],
        Resources = ["https://mcp.example.com/mcp"],
        RedirectUris = ["http://127.0.0.1/cb"],
        GrantedAt = At,
    };

    [Fact]
    public void TheSameBytesAtTheSameKey_AreDecodedOnce()
    {
        var decoded = new DecodedEntries<Consent>(GrantJson.Default);
        var bytes = StoredJson.Encode(GrantJson.Default, Consent("mcp:tools"));

        var first = decoded.Decode("consent:alice:client-1", bytes);
        var again = decoded.Decode("consent:alice:client-1", bytes.ToArray());

        Assert.Same(first, again);
        Assert.Equal(["mcp:tools"], again.Scopes);
    }

    [Fact]
    public void ChangedBytes_OrAnotherKey_AreDecodedAfresh()
    {
        var decoded = new DecodedEntries<Consent>(GrantJson.Default);
        var first = decoded.Decode("consent:alice:client-1", StoredJson.Encode(GrantJson.Default, Consent("mcp:tools")));

        var changed = decoded.Decode("consent:alice:client-1", StoredJson.Encode(GrantJson.Default, Consent("admin")));
        Assert.NotSame(first, changed);
        Assert.Equal(["admin"], changed.Scopes);

        var otherKey = decoded.Decode("consent:bob:client-1", StoredJson.Encode(GrantJson.Default, Consent("admin")));
        Assert.NotSame(changed, otherKey);
        Assert.Null(decoded.Decode("consent:alice:client-1", entry: null));
    }
}
