using System.Buffers.Text;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>A hand-driven OAuth client for tests that need to see every request: register, authorize, redeem, refresh.</summary>
public sealed class OAuthFlow(HttpClient http)
{
    public const string RedirectUri = "http://127.0.0.1:7777/callback";

    public string Verifier { get; } = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public string Challenge => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));

    public string State { get; } = Guid.NewGuid().ToString("N");

    public async Task<string> RegisterAsync(string? clientName = "Test client", string redirectUri = RedirectUri, bool refresh = true)
    {
        var response = await http.PostAsJsonAsync("/oauth/register", new Dictionary<string, object?>
        {
            ["client_name"] = clientName,
            ["redirect_uris"] = new[] { redirectUri },
            ["grant_types"] = refresh ? new[] { "authorization_code", "refresh_token" } : new[] { "authorization_code" },
            ["response_types"] = new[] { "code" },
            ["token_endpoint_auth_method"] = "none",
        });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("client_id").GetString()!;
    }

    public Uri AuthorizeUrl(string clientId, string resource, string redirectUri = RedirectUri, string? scope = null, IDictionary<string, string?>? overrides = null)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["code_challenge"] = Challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = State,
            ["resource"] = resource,
            ["scope"] = scope,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            parameters[key] = value;
        }

        return new Uri(http.BaseAddress!, QueryHelpers.AddQueryString("/oauth/authorize", parameters.Where(p => p.Value is not null)!));
    }

    /// <summary>Signs in as <paramref name="user"/>, consents, and returns the redirect's query parameters.</summary>
    public async Task<Dictionary<string, string>> AuthorizeAsync(string clientId, string resource, string user = "alice", string decision = "allow", string redirectUri = RedirectUri, string? scope = null)
    {
        var location = await new Browser(http).AuthorizeAsync(AuthorizeUrl(clientId, resource, redirectUri, scope), user, user, decision);
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    public async Task<HttpResponseMessage> RedeemAsync(string clientId, string code, string? verifier = null, string redirectUri = RedirectUri, string? resource = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = code,
            ["code_verifier"] = verifier ?? Verifier,
            ["redirect_uri"] = redirectUri,
        };
        if (resource is not null)
        {
            form["resource"] = resource;
        }

        return await http.PostAsync("/oauth/token", new FormUrlEncodedContent(form));
    }

    public Task<HttpResponseMessage> RefreshAsync(string clientId, string refreshToken)
        => http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = clientId,
            ["refresh_token"] = refreshToken,
        }));

    /// <summary>The whole flow: register, sign in as <paramref name="user"/>, consent (to <paramref name="scope"/>, else the defaults), redeem. Returns the token response.</summary>
    public async Task<TokenSet> GetTokensAsync(string resource, string user = "alice", string? scope = null)
    {
        var clientId = await RegisterAsync();
        var result = await AuthorizeAsync(clientId, resource, user, scope: scope);
        var response = await RedeemAsync(clientId, result["code"]);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return new TokenSet(clientId, json.RootElement.GetProperty("access_token").GetString()!, json.RootElement.GetProperty("refresh_token").GetString()!);
    }
}

public sealed record TokenSet(string ClientId, string AccessToken, string RefreshToken);
