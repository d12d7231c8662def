using McpSseAuth.Clients;
using McpSseAuth.Grants;
using McpSseAuth.Resources;
using McpSseAuth.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Authorization;

/// <summary>An approved authorization request: what a code is issued for, from the consent form or a remembered consent.</summary>
internal sealed record ApprovedAuthorization(
    string ClientId,
    string RedirectUri,
    bool RedirectUriGiven,
    string? State,
    string CodeChallenge,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Resources,
    string? DpopJkt = null);

/// <summary>Issues the single-use code of an approved request and redirects with it; remembers the consent.</summary>
internal sealed class AuthorizationCodes(IAuthorizationCodeStore codes, IClientStore clients, IConsentStore consents, ServerUris uris, TimeProvider time, IOptions<McpOAuthOptions> options)
{
    public async Task RedirectWithCodeAsync(HttpContext context, ApprovedAuthorization request, GrantSubject user)
    {
        if (await IssueAsync(context, request, user, time.GetUtcNow()) is { } code)
        {
            AuthorizationResponse.RedirectWithCode(context, request.RedirectUri, code, request.State, uris.Issuer(context));
        }
    }

    /// <summary>
    /// Stores a single-use code for the approved request, issued at <paramref name="now"/>; null (the client redirected with an
    /// error) when there is no room. The client is marked used by the same round of writes: the flow keeps it from eviction
    /// until then (<see cref="IClientStore.KeepWhileAuthorizingAsync"/>), and the code is answered only once both are stored.
    /// </summary>
    public async ValueTask<string?> IssueAsync(HttpContext context, ApprovedAuthorization request, GrantSubject user, DateTimeOffset now)
    {
        var issuer = uris.Issuer(context);
        var code = OpaqueHandle.Create();
        var stored = await Together.AwaitAsync(clients.MarkUsedAsync(request.ClientId, context.RequestAborted), codes.StoreAsync(code, new AuthorizationCode
        {
            ClientId = request.ClientId,
            RedirectUri = request.RedirectUri,
            RedirectUriGiven = request.RedirectUriGiven,
            CodeChallenge = request.CodeChallenge,
            User = user,
            Scopes = request.Scopes,
            Resources = request.Resources,
            DpopJkt = request.DpopJkt,
            GrantId = OpaqueHandle.Create(),
            IssuedAt = now,
            ExpiresAt = now + options.Value.Tokens.AuthorizationCodeLifetime,
        }, context.RequestAborted));
        if (!stored)
        {
            AuthorizationResponse.RedirectWithError(context, request.RedirectUri, Http.OAuthError.TemporarilyUnavailable("The server is too busy; try again later."), request.State, issuer);
            return null;
        }

        return code;
    }

    /// <summary>
    /// Adds what the user just allowed, at <paramref name="now"/>, to what they allowed this client before. A code issued at
    /// the same <paramref name="now"/> is covered by it (a code issued before a consent is not), so the two can be stored
    /// together. With <paramref name="noConsentBefore"/> (none was found when the user was asked) it is stored as a first
    /// consent without a read; one that appeared meanwhile (the same request answered in another tab) is read and merged.
    /// </summary>
    public async ValueTask RememberAsync(ApprovedAuthorization request, string subject, DateTimeOffset now, bool noConsentBefore, CancellationToken cancellationToken)
    {
        if (noConsentBefore && await consents.TryAddAsync(Allowed(request, subject, null, now), cancellationToken))
        {
            return;
        }

        var previous = await consents.FindAsync(subject, request.ClientId, cancellationToken);
        await consents.StoreAsync(Allowed(request, subject, previous, now), cancellationToken);
    }

    private static Consent Allowed(ApprovedAuthorization request, string subject, Consent? previous, DateTimeOffset now) => new()
    {
        Subject = subject,
        ClientId = request.ClientId,
        Scopes = Union(previous?.Scopes, request.Scopes),
        Resources = Union(previous?.Resources, request.Resources),
        // The most recent few: a native client on a new loopback port each time would grow the list without end.
        RedirectUris = [.. Union(previous?.RedirectUris, [request.RedirectUri]).TakeLast(MaxRememberedRedirectUris)],
        // When first allowed: the connected-apps page shows it, and codes issued before it are not covered.
        GrantedAt = previous?.GrantedAt ?? now,
    };

    /// <summary>
    /// True when a remembered consent covers the request: no new scope, resource or redirect URI. The redirect URI must be
    /// one the user saw, exactly, port included: a public client's identity cannot be proven (RFC 8252 §8.6), and the
    /// address the code goes to is the closest proof there is, so a loopback client on a new port is asked again, and a
    /// private-use scheme (which any app on the device may claim) is asked every time.
    /// </summary>
    /// <returns>Whether it is covered, and whether any consent of this user and client was found.</returns>
    public async Task<(bool Covered, bool Found)> IsRememberedAsync(ApprovedAuthorization request, string subject, CancellationToken cancellationToken)
    {
        if (await consents.FindAsync(subject, request.ClientId, cancellationToken) is not { } consent)
        {
            return (false, false);
        }

        return (!IsPrivateUseScheme(request.RedirectUri) &&
            request.Scopes.All(s => consent.Scopes.Contains(s, StringComparer.Ordinal)) &&
            request.Resources.All(r => consent.Resources.Contains(r, StringComparer.Ordinal)) &&
            consent.RedirectUris.Contains(request.RedirectUri, StringComparer.Ordinal), true);
    }

    private const int MaxRememberedRedirectUris = 20;

    // Any app on the device may claim a private-use scheme, so such a redirect URI proves nothing: always ask (RFC 8252 §8.6).
    private static bool IsPrivateUseScheme(string redirectUri)
        => !redirectUri.StartsWith("https:", StringComparison.OrdinalIgnoreCase) && !redirectUri.StartsWith("http:", StringComparison.OrdinalIgnoreCase);

    private static string[] Union(IReadOnlyList<string>? before, IReadOnlyList<string> added)
        => [.. (before ?? []).Concat(added).Distinct(StringComparer.Ordinal)];
}
