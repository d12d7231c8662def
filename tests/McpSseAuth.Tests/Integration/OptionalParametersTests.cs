using System.Net;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Optional is optional, on every endpoint and page of the flow: each parameter the RFCs make optional, absent, empty,
/// repeated or very long, and the flow either completes or ends in the spec's error (an OAuth error as JSON or as a page,
/// 4xx) — never a 5xx. A table walks authorization, consent, the token endpoint's code and refresh grants, and
/// registration's client metadata.
/// </summary>
public sealed class OptionalParametersTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private readonly HttpClient _http = fixture.CreateClient();

    public enum Shape
    {
        Absent,
        Empty,
        Repeated,
        Oversized,
    }

    private static readonly string Long = new('a', 5_000);

    public static TheoryData<string, Shape> AuthorizeParameters => Table("state", "scope", "resource", "redirect_uri", "prompt", "response_mode", "nonce", "login_hint");

    public static TheoryData<string, Shape> CodeParameters => Table("redirect_uri", "resource", "scope", "client_secret");

    public static TheoryData<string, Shape> RefreshParameters => Table("scope", "resource");

    public static TheoryData<string, Shape> RevocationParameters => Table("token_type_hint", "client_secret");

    public static TheoryData<string, Shape> PageParameters => Table("ReturnUrl", "provider", "error", "prompt");

    public static TheoryData<string, Shape> ClientMetadata => Table("client_name", "client_uri", "scope", "software_id", "software_version", "application_type", "token_endpoint_auth_method", "grant_types", "response_types", "contacts", "logo_uri", "tos_uri", "policy_uri");

    private static TheoryData<string, Shape> Table(params string[] names)
    {
        var data = new TheoryData<string, Shape>();
        foreach (var name in names)
        {
            foreach (var shape in Enum.GetValues<Shape>())
            {
                data.Add(name, shape);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AuthorizeParameters))]
    public async Task Authorize_AndConsent_WithAnOptionalParameterShaped_CompleteOrEndInTheSpecsError(string name, Shape shape)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var query = new List<KeyValuePair<string, string>>
        {
            new("response_type", "code"),
            new("client_id", clientId),
            new("code_challenge", flow.Challenge),
            new("code_challenge_method", "S256"),
        };
        var defaults = new Dictionary<string, string> { ["state"] = flow.State, ["scope"] = "mcp:tools", ["resource"] = Http.McpResource, ["redirect_uri"] = OAuthFlow.RedirectUri };
        foreach (var (key, value) in defaults.Where(d => d.Key != name))
        {
            query.Add(new(key, value));
        }

        query.AddRange(Shaped(name, shape, defaults.GetValueOrDefault(name, "x")));
        var url = new Uri(_http.BaseAddress!, "/oauth/authorize?" + string.Join('&', query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));

        var (final, location, _) = await new Browser(_http).WalkAsync(url, "alice", decision: "allow");

        Assert.True((int)final.StatusCode < 500, $"{name} {shape}: {(int)final.StatusCode}");
        if (location is not null && Http.Query(location).TryGetValue("code", out var code))
        {
            // Completed: the code redeems, with redirect_uri repeated only when the request named it.
            var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["client_id"] = clientId, ["code"] = code, ["code_verifier"] = flow.Verifier };
            if (query.Any(p => p.Key == "redirect_uri"))
            {
                form["redirect_uri"] = OAuthFlow.RedirectUri;
            }

            using var token = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(form));
            Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        }
        else if (location is not null)
        {
            Assert.True(Http.Query(location).ContainsKey("error"), location.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(CodeParameters))]
    public async Task TokenEndpoint_CodeGrant_WithAnOptionalParameterShaped_IssuesOrAnswersTheSpecsError(string name, Shape shape)
    {
        var flow = new OAuthFlow(_http);
        var clientId = await flow.RegisterAsync();
        var code = (await flow.AuthorizeAsync(clientId, Http.McpResource))["code"];
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "authorization_code"), new("client_id", clientId), new("code", code), new("code_verifier", flow.Verifier) };
        var defaults = new Dictionary<string, string> { ["redirect_uri"] = OAuthFlow.RedirectUri, ["resource"] = Http.McpResource };
        form.AddRange(defaults.Where(d => d.Key != name));
        form.AddRange(Shaped(name, shape, defaults.GetValueOrDefault(name, "x")));

        using var response = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(form));

        await AssertIssuedOrOAuthErrorAsync(response, $"{name} {shape}");
    }

    [Theory]
    [MemberData(nameof(RefreshParameters))]
    public async Task TokenEndpoint_RefreshGrant_WithAnOptionalParameterShaped_IssuesOrAnswersTheSpecsError(string name, Shape shape)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "refresh_token"), new("client_id", tokens.ClientId), new("refresh_token", tokens.RefreshToken) };
        form.AddRange(Shaped(name, shape, name == "resource" ? Http.McpResource : "mcp:tools"));

        using var response = await _http.PostAsync("/oauth/token", new FormUrlEncodedContent(form));

        await AssertIssuedOrOAuthErrorAsync(response, $"{name} {shape}");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // A refused request does not spend the token.
            using var retry = await new OAuthFlow(_http).RefreshAsync(tokens.ClientId, tokens.RefreshToken);
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(RevocationParameters))]
    public async Task Revocation_WithAnOptionalParameterShaped_RevokesOrAnswersTheSpecsError(string name, Shape shape)
    {
        var tokens = await new OAuthFlow(_http).GetTokensAsync(Http.McpResource);
        var form = new List<KeyValuePair<string, string>> { new("token", tokens.RefreshToken), new("client_id", tokens.ClientId) };
        form.AddRange(Shaped(name, shape, name == "token_type_hint" ? "refresh_token" : "x"));

        using var response = await _http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(form));

        Assert.True((int)response.StatusCode < 500, $"{name} {shape}: {(int)response.StatusCode}");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal(JsonValueKind.String, (await Http.ReadJsonAsync(response)).GetProperty("error").ValueKind);
        }
    }

    [Theory]
    [MemberData(nameof(PageParameters))]
    public async Task Pages_WithAnOptionalQueryParameterShaped_AnswerAPageOrARedirect_NeverA5xx(string name, Shape shape)
    {
        foreach (var page in new[] { "/oauth/login", "/oauth/logout", "/oauth/apps", "/oauth/tokens" })
        {
            var query = string.Join('&', Shaped(name, shape, name == "ReturnUrl" ? "/oauth/apps" : "x").Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
            using var response = await new Browser(_http).SendAsync(new Uri(_http.BaseAddress!, page + (query.Length > 0 ? "?" + query : "")));

            Assert.True((int)response.StatusCode < 500, $"{page} {name} {shape}: {(int)response.StatusCode}");
        }
    }

    [Theory]
    [MemberData(nameof(ClientMetadata))]
    public async Task Registration_WithAnOptionalMetadataFieldShaped_RegistersOrAnswersTheSpecsError_AndARegisteredClientSignsIn(string name, Shape shape)
    {
        var members = new List<string>
        {
            "\"redirect_uris\":[\"" + OAuthFlow.RedirectUri + "\"]",
        };
        var sample = name switch
        {
            "grant_types" => "[\"authorization_code\",\"refresh_token\"]",
            "response_types" => "[\"code\"]",
            "contacts" => "[\"ops@example.com\"]",
            "token_endpoint_auth_method" => "\"none\"",
            "application_type" => "\"native\"",
            "client_uri" or "logo_uri" or "tos_uri" or "policy_uri" => "\"https://example.com/app\"",
            "scope" => "\"mcp:tools\"",
            _ => "\"value\"",
        };
        switch (shape)
        {
            case Shape.Empty:
                members.Add($"\"{name}\":{(sample.StartsWith('[') ? "[]" : "\"\"")}");
                break;
            case Shape.Repeated:
                members.Add($"\"{name}\":{sample}");
                members.Add($"\"{name}\":{sample}");
                break;
            case Shape.Oversized:
                members.Add($"\"{name}\":{(sample.StartsWith('[') ? "[" + string.Join(',', Enumerable.Repeat("\"" + Long[..200] + "\"", 40)) + "]" : "\"" + Long + "\"")}");
                break;
        }

        using var response = await _http.PostAsync("/oauth/register", new StringContent("{" + string.Join(',', members) + "}", Encoding.UTF8, "application/json"));

        Assert.True((int)response.StatusCode < 500, $"{name} {shape}: {(int)response.StatusCode}");
        var body = await Http.ReadJsonAsync(response);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
            return;
        }

        var clientId = body.GetProperty("client_id").GetString()!;
        var location = await new Browser(_http).AuthorizeAsync(new OAuthFlow(_http).AuthorizeUrl(clientId, Http.McpResource), "alice", "alice");
        Assert.True(Http.Query(location).ContainsKey("code"), location.ToString());
    }

    private static IEnumerable<KeyValuePair<string, string>> Shaped(string name, Shape shape, string value) => shape switch
    {
        Shape.Absent => [],
        Shape.Empty => [new(name, "")],
        Shape.Repeated => [new(name, value), new(name, value)],
        _ => [new(name, Long)],
    };

    private static async Task AssertIssuedOrOAuthErrorAsync(HttpResponseMessage response, string what)
    {
        Assert.True((int)response.StatusCode < 500, $"{what}: {(int)response.StatusCode}");
        var body = await Http.ReadJsonAsync(response);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal(JsonValueKind.String, body.GetProperty("access_token").ValueKind);
        }
        else
        {
            Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
        }
    }
}
