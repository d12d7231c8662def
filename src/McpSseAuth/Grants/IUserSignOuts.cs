namespace McpSseAuth.Grants;

/// <summary>
/// "Signed out everywhere" instants per user: a sign-in to the authorization server made before it is refused.
/// </summary>
internal interface IUserSignOuts
{
    /// <summary>Ends every sign-in of the user made up to <paramref name="at"/>; remembered until <paramref name="keepUntil"/> (when those sign-ins expire anyway).</summary>
    ValueTask SignOutEverywhereAsync(string subject, DateTimeOffset at, DateTimeOffset keepUntil, CancellationToken cancellationToken);

    /// <summary>The user's latest such instant, if any.</summary>
    ValueTask<DateTimeOffset?> FindAsync(string subject, CancellationToken cancellationToken);
}
