using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.UserTokens;

/// <summary>The upstream provider's tokens of one user, as kept (encrypted) between sign-in and use by tools.</summary>
internal sealed record UpstreamTokenSet(
    [property: JsonPropertyName("scheme")] string Scheme,
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt);

[JsonSerializable(typeof(UpstreamTokenSet))]
internal sealed partial class UpstreamTokenJsonContext : JsonSerializerContext;

/// <summary>
/// Keeps the tokens a remote scheme obtained at sign-in (its <c>SaveTokens</c> result), encrypted per user, and hands out
/// a current access token, refreshing it with the provider first when it has expired or is about to.
/// </summary>
internal sealed class UpstreamTokenStore(UserSecrets secrets, UpstreamTokenRefresh refresh, TimeProvider time, IOptions<McpOAuthOptions> options, ILogger<UpstreamTokenStore> logger, Users.UserStatus? users = null, [Microsoft.Extensions.DependencyInjection.FromKeyedServices(Telemetry.MeasuredStorage.Key)] Storage.IMcpOAuthStorage? storage = null)
{
    public const string Slot = "upstream";

    // One refresh per user at a time: providers rotate refresh tokens, so two concurrent refreshes would spend one twice.
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Saves the tokens of a fresh sign-in, replacing older ones; forgets them when the provider gave none.</summary>
    public async ValueTask SaveAsync(string subject, string scheme, AuthenticationProperties properties, CancellationToken cancellationToken)
        => await SaveAsync(subject, Slot, scheme, properties, cancellationToken);

    /// <summary>
    /// Saves the tokens a remote scheme obtained (its <c>SaveTokens</c> result) in <paramref name="slot"/>: the sign-in's,
    /// or a connected service's. False (and nothing kept) when the provider gave no access token.
    /// </summary>
    public async ValueTask<bool> SaveAsync(string subject, string slot, string scheme, AuthenticationProperties properties, CancellationToken cancellationToken)
    {
        var accessToken = properties.GetTokenValue("access_token");
        if (string.IsNullOrEmpty(accessToken))
        {
            await secrets.RemoveAsync(subject, slot, cancellationToken);
            return false;
        }

        DateTimeOffset? expiresAt = DateTimeOffset.TryParse(properties.GetTokenValue("expires_at"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;
        await WriteAsync(subject, slot, new UpstreamTokenSet(scheme, accessToken, properties.GetTokenValue("refresh_token"), expiresAt), cancellationToken);
        return true;
    }

    /// <summary>The user's current upstream tokens, refreshed first when needed; null when there are none or they are dead.</summary>
    public ValueTask<UpstreamTokenSet?> GetCurrentAsync(string subject, CancellationToken cancellationToken)
        => GetCurrentAsync(subject, Slot, async () =>
        {
            // The provider no longer vouches for the user: they must sign in again, and lose what they hold here until then.
            if (users is not null)
            {
                await users.UpstreamRefusedAsync(subject, cancellationToken);
            }
        }, cancellationToken);

    /// <summary>
    /// The tokens in <paramref name="slot"/>, refreshed first when needed (one refresh at a time per user, across
    /// instances); null when there are none or they are dead. When the provider refuses the refresh token for good, they
    /// are forgotten and <paramref name="refused"/> runs.
    /// </summary>
    public async ValueTask<UpstreamTokenSet?> GetCurrentAsync(string subject, string slot, Func<ValueTask> refused, CancellationToken cancellationToken)
    {
        var tokens = await ReadAsync(subject, slot, cancellationToken);
        if (tokens is null || !NeedsRefresh(tokens))
        {
            return tokens;
        }

        var gate = _locks[(StringComparer.Ordinal.GetHashCode(subject) & int.MaxValue) % _locks.Length];
        await gate.WaitAsync(cancellationToken);
        string? lease = null;
        try
        {
            // Single flight across instances too: a provider that rotates refresh tokens refuses the second of two
            // concurrent refreshes (invalid_grant), which would end the user's access. A short lease in the shared storage.
            if (storage is not null)
            {
                lease = Storage.StoredJson.Key("upstream-refresh", subject + "\n" + slot);
                var waited = System.Diagnostics.Stopwatch.GetTimestamp();
                while (!await storage.TryAddAsync(lease, Leased, time.GetUtcNow() + LeaseTime, null, cancellationToken))
                {
                    // Another instance is refreshing: its answer lands in the shared storage.
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(waited) >= LeaseTime)
                    {
                        lease = null;
                        return null;
                    }

                    await Task.Delay(50, cancellationToken);
                    tokens = await ReadAsync(subject, slot, cancellationToken);
                    if (tokens is null || !NeedsRefresh(tokens))
                    {
                        lease = null;
                        return tokens;
                    }
                }
            }

            // Another request may have refreshed while this one waited.
            tokens = await ReadAsync(subject, slot, cancellationToken);
            if (tokens is null || !NeedsRefresh(tokens))
            {
                return tokens;
            }

            if (tokens.RefreshToken is null)
            {
                Log.UpstreamTokenExpired(logger, subject, tokens.Scheme);
                return null;
            }

            var (refreshed, spent) = await refresh.RefreshAsync(tokens, cancellationToken);
            if (refreshed is not null)
            {
                await WriteAsync(subject, slot, refreshed, cancellationToken);
                Log.UpstreamTokenRefreshed(logger, subject, tokens.Scheme);
                return refreshed;
            }

            if (spent)
            {
                // The provider refused the refresh token for good.
                await secrets.RemoveAsync(subject, slot, cancellationToken);
                await refused();
            }

            return null;
        }
        finally
        {
            if (lease is not null)
            {
                try
                {
                    await storage!.RemoveAsync(lease, CancellationToken.None);
                }
                catch (Storage.McpStorageUnavailableException)
                {
                    // It expires by itself after LeaseTime.
                }
            }

            gate.Release();
        }
    }

    // Longer than a refresh takes; a holder that died frees it after this.
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);

    private static readonly byte[] Leased = [1];

    private bool NeedsRefresh(UpstreamTokenSet tokens)
        => tokens.ExpiresAt is { } expiresAt && expiresAt - options.Value.SignIn.UpstreamTokenRefreshMargin <= time.GetUtcNow();

    private async ValueTask<UpstreamTokenSet?> ReadAsync(string subject, string slot, CancellationToken cancellationToken)
    {
        var json = await secrets.ReadAsync(subject, slot, cancellationToken);
        return json is null ? null : JsonSerializer.Deserialize(json, UpstreamTokenJsonContext.Default.UpstreamTokenSet);
    }

    private ValueTask WriteAsync(string subject, string slot, UpstreamTokenSet tokens, CancellationToken cancellationToken)
        => secrets.WriteAsync(subject, slot, JsonSerializer.Serialize(tokens, UpstreamTokenJsonContext.Default.UpstreamTokenSet), cancellationToken);
}
