using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>A client that uses DPoP against the test server: token requests and MCP requests, each with a fresh proof of its key.</summary>
/// <remarks><paramref name="issuer"/>: the server's address as its proofs must name it (the test server's by default).</remarks>
internal sealed class DpopClient(HttpClient http, DpopKey key, string issuer = Http.Base)
{
    public OAuthFlow Flow { get; } = new(http);

    public DpopKey Key => key;

    /// <summary>Registers (optionally with <c>dpop_bound_access_tokens</c>), signs in as alice, consents, and redeems the code with a proof.</summary>
    public async Task<(string ClientId, HttpResponseMessage Response)> RedeemAsync(string resource = Http.McpResource, bool proof = true, string? nonce = null, string? clientId = null)
    {
        var (id, form) = await CodeFormAsync(resource, clientId);
        return (id, await TokenAsync(form, proof ? key : null, nonce));
    }

    /// <summary>A fresh code for alice, as the form that redeems it (registering a client unless one is given).</summary>
    public async Task<(string ClientId, Dictionary<string, string> Form)> CodeFormAsync(string resource = Http.McpResource, string? clientId = null)
    {
        clientId ??= await Flow.RegisterAsync();
        var code = (await Flow.AuthorizeAsync(clientId, resource))["code"];
        return (clientId, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = code,
            ["code_verifier"] = Flow.Verifier,
            ["redirect_uri"] = OAuthFlow.RedirectUri,
        });
    }

    /// <summary>A DPoP-bound token set for <paramref name="resource"/>.</summary>
    public async Task<TokenSet> GetTokensAsync(string resource = Http.McpResource)
    {
        var (clientId, response) = await RedeemAsync(resource);
        var body = await Http.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        Assert.Equal("DPoP", body.GetProperty("token_type").GetString());
        return new TokenSet(clientId, body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    public Task<HttpResponseMessage> RefreshAsync(string clientId, string refreshToken, DpopKey? with)
        => TokenAsync(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = clientId, ["refresh_token"] = refreshToken }, with);

    public async Task<HttpResponseMessage> TokenAsync(Dictionary<string, string> form, DpopKey? with, string? nonce = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new FormUrlEncodedContent(form) };
        if (with is not null)
        {
            request.Headers.Add("DPoP", with.Proof("POST", issuer + "/oauth/token", nonce: nonce));
        }

        return await http.SendAsync(request);
    }

    /// <summary>
    /// An MCP request with <c>Authorization: <paramref name="scheme"/> token</c> and, unless <paramref name="proof"/> is
    /// empty, the proof given or a fresh one for this request.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string token, string? json = Http.InitializeBody, string scheme = "DPoP", string? proof = null, string? sessionId = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        proof ??= key.Proof(method.Method, issuer + pathAndQuery, token);
        if (proof.Length > 0)
        {
            request.Headers.Add("DPoP", proof);
        }

        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
            request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        }

        return await http.SendAsync(request, completion);
    }

    /// <summary>The <c>WWW-Authenticate</c> challenge of <paramref name="scheme"/>, or null.</summary>
    public static string? Challenge(HttpResponseMessage response, string scheme)
        => response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var values)
            ? values.FirstOrDefault(v => v.StartsWith(scheme + " ", StringComparison.Ordinal) || v == scheme)
            : null;

    public static JsonElement Claims(string jwt) => DpopKey.Payload(jwt);
}
