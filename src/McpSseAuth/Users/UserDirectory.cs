using McpSseAuth.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Users;

/// <summary>A user the server has seen sign in, for the operator's view.</summary>
/// <param name="Subject">The user's <c>sub</c>.</param>
/// <param name="Name">The name shown for them: the local user name, or the upstream name or e-mail address.</param>
/// <param name="Method">How they last signed in: <c>local</c>, the remote scheme, or the enterprise provider.</param>
/// <param name="LastSignInAt">When.</param>
internal sealed record KnownUser(string Subject, string Name, string Method, DateTimeOffset LastSignInAt);

/// <summary>
/// Every user who signed in (or was granted through an enterprise provider), in one storage partition: the list the
/// operator's view starts from, since grants and sessions are kept per user. An entry lives as long as anything issued at
/// that sign-in can (the refresh tokens' absolute lifetime and the sign-in's), renewed by each sign-in.
/// </summary>
internal sealed class UserDirectory(
    [FromKeyedServices(Telemetry.MeasuredStorage.Key)] IMcpOAuthStorage storage,
    IOptionsMonitor<McpOAuthOptions> options,
    TimeProvider time)
{
    private const string Partition = "users";

    public ValueTask NoteSignInAsync(string subject, string name, string method, CancellationToken cancellationToken)
    {
        var o = options.CurrentValue;
        var now = time.GetUtcNow();
        var user = new KnownUser(subject, name, method, now);
        return storage.SetAsync(Key(subject), StoredJson.Encode(UserJson.Default, user), now + o.Tokens.RefreshTokenAbsoluteLifetime + o.SignIn.Lifetime, Partition, cancellationToken);
    }

    /// <summary>The users, most recent sign-in first.</summary>
    public async ValueTask<IReadOnlyList<KnownUser>> ListAsync(CancellationToken cancellationToken)
        => [.. (await storage.ListAsync(Partition, cancellationToken))
            .Select(e => StoredJson.Decode<KnownUser>(UserJson.Default, e.Value.Value))
            .OrderByDescending(u => u.LastSignInAt)
            .ThenBy(u => u.Subject, StringComparer.Ordinal)];

    public async ValueTask<KnownUser?> FindAsync(string subject, CancellationToken cancellationToken)
        => StoredJson.Decode<KnownUser>(UserJson.Default, await storage.GetAsync(Key(subject), cancellationToken));

    /// <summary>The user was removed: they leave the list until they sign in again.</summary>
    public ValueTask<bool> ForgetAsync(string subject, CancellationToken cancellationToken) => storage.RemoveAsync(Key(subject), cancellationToken);

    private static string Key(string subject) => StoredJson.Key("known-user", subject);
}
