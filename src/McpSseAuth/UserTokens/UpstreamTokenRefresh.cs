using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.UserTokens;

/// <summary>
/// Refreshes an upstream access token (RFC 6749 §6) at the token endpoint of the scheme that issued it, with that scheme's
/// own client credentials and back-channel: OpenID Connect schemes (token endpoint from discovery) and OAuth schemes.
/// </summary>
internal sealed class UpstreamTokenRefresh(IAuthenticationSchemeProvider schemes, IServiceProvider services, TimeProvider time, ILogger<UpstreamTokenRefresh> logger)
{
    /// <summary>The new tokens, or null; <c>Spent</c> when the provider refused the refresh token itself (invalid_grant).</summary>
    public async Task<(UpstreamTokenSet? Tokens, bool Spent)> RefreshAsync(UpstreamTokenSet tokens, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.OAuthActivities.Start(Telemetry.OAuthActivities.UpstreamTokenRefresh, System.Diagnostics.ActivityKind.Client);
        activity?.SetTag(Telemetry.TelemetryTags.Method, tokens.Scheme);
        var refreshed = await RequestAsync(tokens, cancellationToken);
        if (refreshed.Tokens is null)
        {
            Telemetry.OAuthActivities.Failed(refreshed.Spent ? "invalid_grant" : "failed");
        }

        return refreshed;
    }

    private async Task<(UpstreamTokenSet? Tokens, bool Spent)> RequestAsync(UpstreamTokenSet tokens, CancellationToken cancellationToken)
    {
        try
        {
            // Inside the try: an OpenID Connect scheme fetches its discovery document here, and the provider may be down.
            var client = await ClientAsync(tokens.Scheme, cancellationToken);
            if (client is null)
            {
                Log.UpstreamTokenRefreshFailed(logger, tokens.Scheme, "the scheme is not an OpenID Connect or OAuth scheme, or has no token endpoint");
                return (null, false);
            }

            var (endpoint, clientId, clientSecret, backchannel) = client.Value;
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["refresh_token"] = tokens.RefreshToken!,
                    ["client_id"] = clientId,
                    ["client_secret"] = clientSecret ?? "",
                }.Where(p => p.Value.Length > 0)),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

            using var response = await backchannel.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var json = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
            var root = json.RootElement;
            if (!response.IsSuccessStatusCode || root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("access_token", out var accessToken) || accessToken.ValueKind != JsonValueKind.String)
            {
                var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                Log.UpstreamTokenRefreshFailed(logger, tokens.Scheme, $"HTTP {(int)response.StatusCode} {error}");
                // Only the refresh token itself is known dead; a client error (a rotated secret) must not wipe every user's.
                return (null, error is "invalid_grant");
            }

            DateTimeOffset? expiresAt = root.TryGetProperty("expires_in", out var expiresIn) && expiresIn.TryGetInt64(out var seconds) && seconds > 0
                ? time.GetUtcNow().AddSeconds(seconds)
                : null;
            // Providers that do not rotate refresh tokens send none back: the old one stays valid.
            var refreshToken = root.TryGetProperty("refresh_token", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : tokens.RefreshToken;
            return (new UpstreamTokenSet(tokens.Scheme, accessToken.GetString()!, refreshToken, expiresAt), false);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.UpstreamTokenRefreshFailed(logger, tokens.Scheme, ex.GetType().Name);
            return (null, false);
        }
    }

    private async Task<(string Endpoint, string ClientId, string? ClientSecret, HttpClient Backchannel)?> ClientAsync(string schemeName, CancellationToken cancellationToken)
    {
        var scheme = await schemes.GetSchemeAsync(schemeName);
        var optionsType = scheme is null ? null : OptionsTypeOf(scheme.HandlerType);
        if (optionsType is null)
        {
            return null;
        }

        // The scheme's options are named options of its own type (OpenIdConnectOptions, GoogleOptions, ...).
        var monitor = services.GetRequiredService(typeof(IOptionsMonitor<>).MakeGenericType(optionsType));
        var schemeOptions = typeof(IOptionsMonitor<>).MakeGenericType(optionsType).GetMethod(nameof(IOptionsMonitor<object>.Get))!.Invoke(monitor, [schemeName]);
        switch (schemeOptions)
        {
            case OpenIdConnectOptions oidc:
                var configuration = oidc.Configuration ?? (oidc.ConfigurationManager is null ? null : await oidc.ConfigurationManager.GetConfigurationAsync(cancellationToken));
                return configuration?.TokenEndpoint is { Length: > 0 } endpoint && oidc.ClientId is not null
                    ? (endpoint, oidc.ClientId, oidc.ClientSecret, oidc.Backchannel)
                    : null;
            case OAuthOptions oauth:
                return oauth.TokenEndpoint is { Length: > 0 } && oauth.ClientId is not null
                    ? (oauth.TokenEndpoint, oauth.ClientId, oauth.ClientSecret, oauth.Backchannel)
                    : null;
            default:
                return null;
        }
    }

    private static Type? OptionsTypeOf(Type handlerType)
    {
        for (var type = handlerType; type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(AuthenticationHandler<>))
            {
                return type.GetGenericArguments()[0];
            }
        }

        return null;
    }
}
