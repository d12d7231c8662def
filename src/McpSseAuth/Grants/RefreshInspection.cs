namespace McpSseAuth.Grants;

/// <summary>What a refresh token handle is now: live (with the token), spent (with its remainder and when), or unknown.</summary>
internal sealed record RefreshInspection(RefreshState State, RefreshToken? Token, DateTimeOffset? SpentAt)
{
    public static RefreshInspection Unknown { get; } = new(RefreshState.Unknown, null, null);
}
