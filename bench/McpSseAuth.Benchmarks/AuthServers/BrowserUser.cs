using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace McpSseAuth.Benchmarks.AuthServers;

/// <summary>Where an authorization server has its endpoints, and how its login form names the user and password.</summary>
internal sealed record AuthServerEndpoints(
    Uri BaseAddress,
    string RegisterPath,
    string AuthorizePath,
    string TokenPath,
    string LoginField,
    string PasswordField,
    bool IssuesRefreshTokens,
    string ResourcePath = "/mcp")
{
    /// <summary>The resource indicator of the MCP endpoint, <c>{base}/mcp</c> unless <see cref="ResourcePath"/> says otherwise.</summary>
    public string Resource => new Uri(BaseAddress, ResourcePath).AbsoluteUri;

    /// <summary>The scope every client asks for: McpSseAuth's default (the TS demo router advertises the same).</summary>
    public const string Scope = "mcp:tools";

    public const string UserName = "alice";

    public const string Password = "alice";

    /// <summary>The loopback redirect URI of the (never contacted) native MCP client.</summary>
    public const string RedirectUri = "http://127.0.0.1:7777/callback";
}

/// <summary>
/// A virtual user driving an authorization server the way a browser plus an MCP client would: registers a public client,
/// walks the authorization request by hand (redirects followed one by one, cookies kept, login and consent forms posted
/// with their hidden fields), and redeems the code with PKCE. Every step checks its status code and the fields it needs.
/// </summary>
internal sealed partial class BrowserUser : IAuthServerUser
{
    private const int MaxHops = 10;

    private static readonly string[] RedirectUris = [AuthServerEndpoints.RedirectUri];
    private static readonly string[] CodeAndRefreshGrants = ["authorization_code", "refresh_token"];
    private static readonly string[] CodeGrant = ["authorization_code"];
    private static readonly string[] CodeResponse = ["code"];

    private readonly AuthServerEndpoints _endpoints;
    private readonly HttpClient _http;
    private readonly string _authority;
    private readonly CookieContainer _cookies = new();

    private BrowserUser(AuthServerEndpoints endpoints)
    {
        _endpoints = endpoints;
        _authority = endpoints.BaseAddress.GetLeftPart(UriPartial.Authority);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = _cookies,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { BaseAddress = endpoints.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A new user, signed in by a first flow (through the login page where the server has one; its tokens are dropped).</summary>
    public static async Task<IAuthServerUser> SignInAsync(AuthServerEndpoints endpoints, CancellationToken ct)
    {
        var user = new BrowserUser(endpoints);
        try
        {
            await user.FlowAsync(signIn: true, ct);
            return user;
        }
        catch
        {
            user.Dispose();
            throw;
        }
    }

    public Task<FlowTokens> RunFlowAsync(CancellationToken ct) => FlowAsync(signIn: false, ct);

    public Task<FlowTokens> RunFlowWithLoginAsync(CancellationToken ct)
    {
        foreach (Cookie cookie in _cookies.GetAllCookies())
        {
            cookie.Expired = true;
        }

        return FlowAsync(signIn: true, ct);
    }

    public async Task<FlowTokens> RefreshAsync(FlowTokens tokens, CancellationToken ct)
    {
        if (!_endpoints.IssuesRefreshTokens || tokens.RefreshToken is null)
        {
            throw new NotSupportedException("This server issues no refresh tokens.");
        }

        using var response = await _http.PostAsync(new Uri(_endpoints.TokenPath, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = tokens.ClientId,
            ["refresh_token"] = tokens.RefreshToken,
            ["resource"] = _endpoints.Resource,
        }), ct);
        var refreshed = await ReadTokensAsync(response, tokens.ClientId, "refresh", ct);
        if (refreshed.RefreshToken == tokens.RefreshToken)
        {
            throw new InvalidOperationException("refresh: the refresh token was not rotated.");
        }

        return refreshed;
    }

    public void Dispose() => _http.Dispose();

    private async Task<FlowTokens> FlowAsync(bool signIn, CancellationToken ct)
    {
        var clientId = await RegisterAsync(ct);
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var query = string.Join('&', new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = AuthServerEndpoints.RedirectUri,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = state,
            ["scope"] = AuthServerEndpoints.Scope,
            ["resource"] = _endpoints.Resource,
        }.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));

        Uri callback;
        try
        {
            callback = await AuthorizeAsync(new Uri(_endpoints.BaseAddress, $"{_endpoints.AuthorizePath}?{query}"), signIn, ct);
        }
        finally
        {
            ForgetFlowCookies();
        }

        var parameters = ParseQuery(callback);
        if (parameters.TryGetValue("error", out var error))
        {
            throw new InvalidOperationException($"authorize: the server answered error={error} ({parameters.GetValueOrDefault("error_description")}).");
        }

        if (parameters.GetValueOrDefault("state") != state)
        {
            throw new InvalidOperationException($"authorize: the callback's state is not the request's: {callback}");
        }

        if (parameters.GetValueOrDefault("code") is not { Length: > 0 } code)
        {
            throw new InvalidOperationException($"authorize: the callback has no code: {callback}");
        }

        using var response = await _http.PostAsync(new Uri(_endpoints.TokenPath, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = code,
            ["code_verifier"] = verifier,
            ["redirect_uri"] = AuthServerEndpoints.RedirectUri,
            ["resource"] = _endpoints.Resource,
        }), ct);
        return await ReadTokensAsync(response, clientId, "token", ct);
    }

    /// <summary>
    /// Drops the cookies scoped to one interaction's path (oidc-provider's <c>_interaction</c> at /interaction/:uid lives 10
    /// minutes): a browser would keep them but never send them again, and hundreds of them per user would only slow down
    /// this client's cookie jar and finally make it evict the sign-in cookie.
    /// </summary>
    private void ForgetFlowCookies()
    {
        foreach (Cookie cookie in _cookies.GetAllCookies())
        {
            if (cookie.Path != "/")
            {
                cookie.Expired = true;
            }
        }
    }

    public async Task<string> RegisterAsync(CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(_endpoints.RegisterPath, UriKind.Relative), new Dictionary<string, object>
        {
            ["client_name"] = "McpSseAuth benchmark client",
            ["redirect_uris"] = RedirectUris,
            ["grant_types"] = _endpoints.IssuesRefreshTokens ? CodeAndRefreshGrants : CodeGrant,
            ["response_types"] = CodeResponse,
            ["token_endpoint_auth_method"] = "none",
        }, ct);
        var body = await ExpectAsync(response, HttpStatusCode.Created, "register", ct);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("client_id", out var id) && id.GetString() is { Length: > 0 } clientId
            ? clientId
            : throw new InvalidOperationException($"register: no client_id in {Excerpt(body)}");
    }

    /// <summary>
    /// Walks from the authorization URL until a redirect leaves the server; returns that Location (the callback). Signs in
    /// only when <paramref name="signIn"/> (a login page otherwise means the user's sign-in was lost: an error); consents
    /// whenever the server shows a consent form.
    /// </summary>
    private async Task<Uri> AuthorizeAsync(Uri url, bool signIn, CancellationToken ct)
    {
        HttpContent? form = null;
        for (var hop = 0; hop < MaxHops; hop++)
        {
            using var request = new HttpRequestMessage(form is null ? HttpMethod.Get : HttpMethod.Post, url) { Content = form };
            using var response = await _http.SendAsync(request, ct);
            form = null;
            if (response.StatusCode is HttpStatusCode.Found or HttpStatusCode.SeeOther)
            {
                var location = response.Headers.Location ?? throw new InvalidOperationException($"authorize: {(int)response.StatusCode} without Location at {url}");
                location = new Uri(url, location);
                if (location.GetLeftPart(UriPartial.Authority) != _authority)
                {
                    return location.AbsoluteUri.StartsWith(AuthServerEndpoints.RedirectUri + "?", StringComparison.Ordinal)
                        ? location
                        : throw new InvalidOperationException($"authorize: redirected off the server, but not to the redirect URI: {location}");
                }

                url = location;
                continue;
            }

            var html = await ExpectAsync(response, HttpStatusCode.OK, $"authorize (page at {url.AbsolutePath})", ct);
            var (action, fields) = ParseForm(html) ?? throw new InvalidOperationException($"authorize: a page without a post form at {url}: {Excerpt(html)}");
            if (html.Contains("type=\"password\"", StringComparison.Ordinal))
            {
                if (!signIn)
                {
                    throw new InvalidOperationException($"authorize: the login page came back for a signed-in user at {url}");
                }

                fields[_endpoints.LoginField] = AuthServerEndpoints.UserName;
                fields[_endpoints.PasswordField] = AuthServerEndpoints.Password;
                signIn = false;   // a second login page in this walk means the password was refused
            }
            else if (html.Contains("name=\"decision\"", StringComparison.Ordinal))
            {
                fields["decision"] = "allow";
            }
            else
            {
                throw new InvalidOperationException($"authorize: a form that is neither login nor consent at {url}: {Excerpt(html)}");
            }

            url = new Uri(url, action);
            form = new FormUrlEncodedContent(fields);
        }

        throw new InvalidOperationException($"authorize: more than {MaxHops} hops.");
    }

    private async Task<FlowTokens> ReadTokensAsync(HttpResponseMessage response, string clientId, string step, CancellationToken ct)
    {
        var body = await ExpectAsync(response, HttpStatusCode.OK, step, ct);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (!root.TryGetProperty("token_type", out var type) || !string.Equals(type.GetString(), "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{step}: token_type is not Bearer in {Excerpt(body)}");
        }

        if (!root.TryGetProperty("access_token", out var access) || access.GetString() is not { Length: > 0 } accessToken)
        {
            throw new InvalidOperationException($"{step}: no access_token in {Excerpt(body)}");
        }

        string? refreshToken = null;
        if (_endpoints.IssuesRefreshTokens && (!root.TryGetProperty("refresh_token", out var refresh) || (refreshToken = refresh.GetString()) is not { Length: > 0 }))
        {
            throw new InvalidOperationException($"{step}: no refresh_token in {Excerpt(body)}");
        }

        return new FlowTokens(clientId, accessToken, refreshToken);
    }

    private static async Task<string> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected, string step, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return response.StatusCode == expected
            ? body
            : throw new InvalidOperationException($"{step}: expected {(int)expected}, got {(int)response.StatusCode} {response.Headers.Location}: {Excerpt(body)}");
    }

    private static (string Action, Dictionary<string, string> Fields)? ParseForm(string html)
    {
        var form = FormRegex().Match(html);
        if (!form.Success)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match input in HiddenRegex().Matches(html))
        {
            fields[WebUtility.HtmlDecode(input.Groups["name"].Value)] = WebUtility.HtmlDecode(input.Groups["value"].Value);
        }

        return (WebUtility.HtmlDecode(form.Groups["action"].Value), fields);
    }

    private static Dictionary<string, string> ParseQuery(Uri uri)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
            parameters[name] = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
        }

        return parameters;
    }

    private static string Excerpt(string text) => text.Length <= 300 ? text : text[..300] + "…";

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]*)\"")]
    private static partial Regex FormRegex();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenRegex();
}
