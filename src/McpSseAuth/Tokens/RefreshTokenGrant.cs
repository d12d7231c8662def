using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Tokens;

/// <summary>
/// The <c>refresh_token</c> grant (RFC 6749 §6) with rotation (OAuth 2.1 §4.3.1): each use spends the token and issues a
/// successor, stored before the token is spent (<see cref="IRefreshTokenStore.RotateAsync"/>), so no storage failure
/// leaves the client with neither. A spent token presented again is answered as before only while it may be a retry —
/// inside <see cref="McpOAuthTokenOptions.RefreshTokenReuseWindow"/>, by the same client, and before its successor was used;
/// otherwise it is theft and the grant is revoked (RFC 9700 §4.14.2).
/// </summary>
internal sealed class RefreshTokenGrant(
    IRefreshTokenStore refreshTokens,
    IGrantStore grants,
    GrantRevocation revocation,
    IClientStore clients,
    Users.UserStatus users,
    TokenIssuance issuance,
    TokenTargets targets,
    TimeProvider time,
    IOptions<McpOAuthOptions> options,
    Telemetry.SecurityAudit audit,
    ILogger<TokenEndpoint> logger)
{
    /// <summary>Answers a <c>refresh_token</c> grant of <paramref name="client"/>; <paramref name="inspected"/> is the token as read while the client was authenticated (read here when not given).</summary>
    public async Task HandleAsync(HttpContext context, OAuthParameters parameters, ClientRegistration client, RefreshInspection? inspected = null, string? jkt = null)
    {
        if (parameters["refresh_token"] is not { } handle)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidRequest("The refresh_token parameter is missing."));
            return;
        }

        var (state, token, spentAt) = inspected ?? await refreshTokens.InspectAsync(handle, context.RequestAborted);
        if (state == RefreshState.Spent)
        {
            await ReplayedAsync(context, client, handle, token!, spentAt, jkt);
            return;
        }

        if (state != RefreshState.Live || token is null)
        {
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked or already used."));
            return;
        }

        if (!string.Equals(token.ClientId, client.ClientId, StringComparison.Ordinal))
        {
            // Another client holds this client's token: theft.
            await revocation.RevokeAsync(token.GrantId, context.RequestAborted);
            await audit.TokenReplayedAsync(context, "refresh token", client.ClientId, token.User.Subject, token.GrantId);
            await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token was issued to another client."));
            return;
        }

        if (KeyMismatch(token, jkt) is { } keyError)
        {
            // Refused without spending it: whoever holds the token without the key gets nothing, and the client keeps it.
            Log.RefreshKeyMismatch(logger, client.ClientId, token.GrantId);
            await RefuseAsync(context, client.ClientId, keyError);
            return;
        }

        if (!await users.EnforceAsync(token.User.Subject, context.RequestAborted))
        {
            await RefuseAsync(context, client.ClientId, NoAccess);
            return;
        }

        // The request's own checks run before the token is spent: a retry after a mistake must not look like a replay.
        if (TokenTargets.NarrowedScopes(parameters, token.Scopes, out var error) is not { } scopes ||
            targets.Audiences(context, parameters, token.Resources, out error) is not { } audiences)
        {
            await RefuseAsync(context, client.ClientId, error!);
            return;
        }

        // The narrowed scope and audience apply to this access token; the grant keeps what was consented to. The grant's
        // record is written again only once per GrantRecord.TouchInterval; until then the successor carries when it was.
        var now = time.GetUtcNow();
        var touchedAt = token.GrantTouchedAt is { } t && now - t < GrantRecord.TouchInterval && t <= now ? t : (DateTimeOffset?)null;
        // The access token is bound to this request's key, if any; the successor keeps the binding of the token it replaces.
        var issued = issuance.Prepare(context, client, token.User, scopes, audiences, token.Resources, token.GrantId, token.GrantCreatedAt, token.Scopes, touchedAt ?? now, jkt, token.DpopJkt);
        if (issued.Refresh is null)
        {
            // The client may no longer refresh (its grant types changed): the token is spent, nothing rotates.
            if ((await refreshTokens.TryRedeemAsync(handle, context.RequestAborted)).Status != RedeemStatus.Redeemed)
            {
                await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked or already used."));
                return;
            }

            await AnswerAsync(context, client, token, issued, audiences, issued.Body, touch: true);
            return;
        }

        var outcome = await refreshTokens.RotateAsync(handle, token, issued.RefreshHandle!, issued.Refresh, RefreshSuccessor.Seal(handle, issued.Body), context.RequestAborted);
        switch (outcome.Status)
        {
            case RedeemStatus.Redeemed when RefreshSuccessor.Open(handle, outcome.SealedResponse!) is { } body:
                await AnswerAsync(context, client, token, issued, audiences, body, touch: touchedAt is null);
                break;
            case RedeemStatus.Replayed:
                // A twin spent it first: the same rules as any replay.
                await ReplayedAsync(context, client, handle, outcome.Spent!, outcome.SpentAt, jkt);
                break;
            default:
                await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked or already used."));
                break;
        }
    }

    private async Task AnswerAsync(HttpContext context, ClientRegistration client, RefreshToken token, IssuedTokens issued, IReadOnlyList<string> audiences, byte[] body, bool touch)
    {
        // Bookkeeping after the refresh token was spent: a failure here must not cost the client its new tokens.
        if (touch)
        {
            await issuance.BestEffortAsync(() => grants.TouchAsync(token.GrantId, time.GetUtcNow(), issued.GrantExpiresAt + GrantRecord.TouchInterval, context.RequestAborted), "grant last use");
        }

        // In use: a client whose grant is refreshed is not stale.
        await issuance.BestEffortAsync(() => clients.MarkUsedAsync(client.ClientId, context.RequestAborted), "client last use");
        await issuance.AnswerAsync(context, client.ClientId, token.User.Subject, "refresh_token", issued.Scopes, audiences, body);
    }

    /// <summary>
    /// A rotated refresh token presented again. It gets the answer its rotation gave (concurrent refreshes, a retry after a
    /// lost response) only inside <see cref="McpOAuthTokenOptions.RefreshTokenReuseWindow"/>, by the same client, and while the
    /// successor it was answered with has not been used: once the client has used the successor it has moved on, and the old
    /// token in anyone's hands is stolen. Otherwise the whole grant is revoked (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).
    /// </summary>
    private async Task ReplayedAsync(HttpContext context, ClientRegistration client, string handle, RefreshToken token, DateTimeOffset? spentAt, string? jkt)
    {
        var window = options.Value.Tokens.RefreshTokenReuseWindow;
        var inWindow = spentAt is { } at && time.GetUtcNow() - at <= window && window > TimeSpan.Zero
            && string.Equals(token.ClientId, client.ClientId, StringComparison.Ordinal);
        if (inWindow && KeyMismatch(token, jkt) is { } keyError)
        {
            // The answer kept for a retry holds tokens of the bound key: only a proof of that key gets it.
            Log.RefreshKeyMismatch(logger, client.ClientId, token.GrantId);
            await RefuseAsync(context, client.ClientId, keyError);
            return;
        }

        if (inWindow)
        {
            if (await refreshTokens.FindSuccessorAsync(handle, context.RequestAborted) is not { } sealedResponse
                || RefreshSuccessor.Open(handle, sealedResponse) is not { } response)
            {
                // Spent without a kept answer (it is kept before the spend, so only a storage that lost it): refuse, no theft.
                await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token was already used."));
                return;
            }

            if (SuccessorHandle(response) is { } successor && await refreshTokens.IsSpentAsync(successor, context.RequestAborted))
            {
                await revocation.RevokeAsync(token.GrantId, context.RequestAborted);
                await audit.TokenReplayedAsync(context, "refresh token", client.ClientId, token.User.Subject, token.GrantId, afterSuccessor: true);
                await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked or already used."));
                return;
            }

            Log.RefreshReused(logger, client.ClientId, token.GrantId);
            await TokenIssuance.WriteAsync(context, response);
            return;
        }

        await revocation.RevokeAsync(token.GrantId, context.RequestAborted);
        await audit.TokenReplayedAsync(context, "refresh token", client.ClientId, token.User.Subject, token.GrantId);
        await RefuseAsync(context, client.ClientId, OAuthError.InvalidGrant("The refresh token is invalid, expired, revoked or already used."));
    }

    /// <summary>Why a refresh token bound to a DPoP key (RFC 9449 §5) may not be used with this request's key, or null.</summary>
    private static OAuthError? KeyMismatch(RefreshToken token, string? jkt) => token.DpopJkt switch
    {
        null => null,
        var bound when jkt is null => OAuthError.InvalidDpopProof("This refresh token is bound to a DPoP key: send a DPoP proof of that key."),
        var bound when !string.Equals(bound, jkt, StringComparison.Ordinal) => OAuthError.InvalidGrant("This refresh token is bound to another DPoP key."),
        _ => null,
    };

    /// <summary>The user lost access: everything of theirs was revoked with it.</summary>
    public static readonly OAuthError NoAccess = OAuthError.InvalidGrant("The user no longer has access to this server.");

    private static string? SuccessorHandle(byte[] response)
    {
        using var document = System.Text.Json.JsonDocument.Parse(response);
        return document.RootElement.TryGetProperty("refresh_token", out var handle) ? handle.GetString() : null;
    }

    private Task RefuseAsync(HttpContext context, string? clientId, OAuthError error) => ClientAuthentication.RefuseAsync(context, logger, clientId, error);
}
