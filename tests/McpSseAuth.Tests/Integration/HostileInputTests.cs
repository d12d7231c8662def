using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// Malformed, oversized and ambiguous requests at every endpoint: always a 4xx in the endpoint's own shape
/// (JSON error for the API endpoints, an HTML page for the browser pages), never a 5xx, never a stack trace.
/// </summary>
public sealed class HostileInputTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private const string Register = "register";
    private const string Token = "token";
    private const string Consent = "consent";
    private const string Login = "login";
    private const string Authorize = "authorize";

    private static readonly string Huge = new('a', 70 * 1024);
    private static readonly string Long = new('x', 10_000);

    private readonly HttpClient _http = fixture.CreateClient();

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in new[] { Register, Token, Consent, Login })
        {
            foreach (var hostile in new[]
            {
                "text/plain", "wrong-media-type", "malformed-json", "json-array", "deep-json", "over-64-KiB", "over-64-KiB-chunked",
                "duplicated-parameter", "10000-char-parameter", "empty-body", "no-content-type", "invalid-utf8", "many-parameters",
            })
            {
                data.Add(endpoint, hostile);
            }
        }

        // JSON is UTF-8 whatever the charset says (RFC 8259 §8.1), so only the form endpoints must refuse a bogus one.
        data.Add(Token, "bad-charset");
        data.Add(Consent, "bad-charset");
        data.Add(Login, "bad-charset");

        // Unknown query parameters are ignored (RFC 6749 §3.1), so "many parameters" is no error at the authorization endpoint.
        foreach (var hostile in new[] { "duplicated-parameter", "10000-char-parameter", "empty-query", "bad-percent-encoding", "body-on-get" })
        {
            data.Add(Authorize, hostile);
        }

        data.Add(Token, "PUT");
        data.Add(Token, "DELETE");
        data.Add(Register, "PUT");
        data.Add(Register, "GET");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileRequest_IsRefusedWith4xxInTheEndpointsShape_NeverA5xxOrStackTrace(string endpoint, string hostile)
    {
        using var request = await BuildAsync(endpoint, hostile);

        using var response = await _http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{endpoint} / {hostile}: expected 4xx, got {status}: {Truncate(body)}");
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);

        // An unknown method is refused in the API's JSON shape wherever it arrives.
        if (endpoint is Register or Token || hostile is "PUT" or "DELETE" or "GET")
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var json = JsonDocument.Parse(body);
            Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
            Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("error").ValueKind);
        }
        else
        {
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        }
    }

    [Theory]
    [InlineData("/oauth/token", "utf-7")]
    [InlineData("/oauth/token", "iso-8859-1")]
    [InlineData("/oauth/login", "utf-7")]
    public async Task FormInAnotherCharset_IsUnsupportedMediaType_Not500(string path, string charset)
    {
        var content = new StringContent("grant_type=authorization_code&client_id=x");
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse($"application/x-www-form-urlencoded; charset={charset}");

        var response = await _http.PostAsync(path, content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Theory]
    [InlineData("/.well-known/oauth-authorization-server")]
    [InlineData("/mcp")]
    public async Task MalformedPunycodeHost_IsNot500(string path)
    {
        // On real Kestrel: the test server itself cannot carry such a Host header.
        await using var app = new SampleApp(kestrel: true);
        using var http = app.CreateRawClient();
        using var request = new HttpRequestMessage(path == "/mcp" ? HttpMethod.Post : HttpMethod.Get, path);
        request.Headers.Host = "xn--a";
        if (path == "/mcp")
        {
            request.Content = new StringContent(Http.InitializeBody, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}");
    }

    [Fact]
    public async Task DuplicatedGrantType_IsInvalidRequest()
    {
        var response = await _http.PostAsync("/oauth/token", Form("grant_type=authorization_code&grant_type=refresh_token&client_id=x"));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task TokenBodyOver64KiB_IsPayloadTooLarge()
    {
        var response = await _http.PostAsync("/oauth/token", Form("grant_type=authorization_code&code=" + Huge));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request");
    }

    [Fact]
    public async Task PutToken_IsMethodNotAllowedWithAllowHeader()
    {
        var response = await _http.PutAsync("/oauth/token", Form("grant_type=authorization_code"));

        await Http.AssertOAuthErrorAsync(response, HttpStatusCode.MethodNotAllowed, "invalid_request");
        Assert.Equal("POST", Assert.Single(response.Content.Headers.Allow));
    }

    private async Task<HttpRequestMessage> BuildAsync(string endpoint, string hostile)
    {
        if (endpoint == Authorize)
        {
            var clientId = await new Infrastructure.OAuthFlow(_http).RegisterAsync();
            var valid = $"response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Infrastructure.OAuthFlow.RedirectUri)}" +
                        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=s";
            var query = hostile switch
            {
                "duplicated-parameter" => valid + "&client_id=" + clientId,
                "10000-char-parameter" => valid.Replace("state=s", "state=" + Long, StringComparison.Ordinal),
                "empty-query" => "",
                "bad-percent-encoding" => "client_id=%ZZ%&redirect_uri=%E0%A4%A",
                "body-on-get" => valid.Replace("client_id=" + clientId, "client_id=unknown", StringComparison.Ordinal),
                _ => throw new ArgumentOutOfRangeException(nameof(hostile)),
            };
            var get = new HttpRequestMessage(HttpMethod.Get, "/oauth/authorize?" + query);
            if (hostile == "body-on-get")
            {
                get.Content = new StringContent("{\"client_id\":\"" + clientId + "\"}", Encoding.UTF8, "application/json");
            }

            return get;
        }

        var path = "/oauth/" + endpoint;
        var isJson = endpoint == Register;
        var valid2 = isJson ? """{"redirect_uris":["https://app.example/cb"]}""" : "grant_type=authorization_code&client_id=x&code=y&username=alice&password=alice&decision=allow&request_id=z";
        HttpContent content = hostile switch
        {
            "text/plain" => new StringContent(valid2, Encoding.UTF8, "text/plain"),
            "wrong-media-type" => isJson ? Form("redirect_uris=https%3A%2F%2Fapp.example%2Fcb") : new StringContent("""{"grant_type":"authorization_code"}""", Encoding.UTF8, "application/json"),
            "malformed-json" => new StringContent("""{"redirect_uris": ["https://app.example/cb" """, Encoding.UTF8, "application/json"),
            "json-array" => new StringContent("""[{"redirect_uris":["https://app.example/cb"]}]""", Encoding.UTF8, "application/json"),
            "deep-json" => new StringContent(new string('[', 5000) + new string(']', 5000), Encoding.UTF8, "application/json"),
            "over-64-KiB" => isJson
                ? new StringContent($$"""{"redirect_uris":["https://app.example/cb"],"client_name":"{{Huge}}"}""", Encoding.UTF8, "application/json")
                : Form(valid2 + "&padding=" + Huge),
            "over-64-KiB-chunked" => Chunked(isJson
                ? $$"""{"redirect_uris":["https://app.example/cb"],"client_name":"{{Huge}}"}"""
                : valid2 + "&padding=" + Huge, isJson ? "application/json" : "application/x-www-form-urlencoded"),
            "duplicated-parameter" => isJson
                ? new StringContent("""{"redirect_uris":["https://app.example/cb"],"redirect_uris":["javascript:alert(1)"]}""", Encoding.UTF8, "application/json")
                : Form(valid2 + "&grant_type=refresh_token&username=bob&decision=deny"),
            "10000-char-parameter" => isJson
                ? new StringContent($$"""{"redirect_uris":["https://app.example/cb"],"client_name":"{{Long}}"}""", Encoding.UTF8, "application/json")
                : Form(valid2 + "&long=" + Long),
            "empty-body" => isJson ? new StringContent("", Encoding.UTF8, "application/json") : Form(""),
            "no-content-type" => new ByteArrayContent(Encoding.UTF8.GetBytes(valid2)),
            "bad-charset" => WithContentType(new ByteArrayContent(Encoding.UTF8.GetBytes(valid2)),
                (isJson ? "application/json" : "application/x-www-form-urlencoded") + "; charset=no-such-charset"),
            "invalid-utf8" => WithContentType(new ByteArrayContent([.. Encoding.ASCII.GetBytes(isJson ? "{\"client_name\":\"" : "username="), 0xC3, 0x28, 0xFF, .. Encoding.ASCII.GetBytes(isJson ? "\"}" : "")]),
                isJson ? "application/json" : "application/x-www-form-urlencoded"),
            "many-parameters" => isJson
                ? new StringContent("{" + string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"p{i}\":{i}")) + "}", Encoding.UTF8, "application/json")
                : Form(string.Join("&", Enumerable.Range(0, 500).Select(i => $"p{i}=v"))),
            "PUT" or "DELETE" or "GET" => new StringContent(valid2, Encoding.UTF8, isJson ? "application/json" : "application/x-www-form-urlencoded"),
            _ => throw new ArgumentOutOfRangeException(nameof(hostile)),
        };

        var method = hostile switch
        {
            "PUT" => HttpMethod.Put,
            "DELETE" => HttpMethod.Delete,
            "GET" => HttpMethod.Get,
            _ => HttpMethod.Post,
        };
        return new HttpRequestMessage(method, path) { Content = method == HttpMethod.Get ? null : content };
    }

    private static StringContent Form(string body) => new(body, Encoding.UTF8, "application/x-www-form-urlencoded");

    private static StreamContent Chunked(string body, string mediaType)
    {
        // A stream of unknown length: no Content-Length, so the server must bound what it reads itself.
        var content = new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    private static HttpContent WithContentType(HttpContent content, string contentType)
    {
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static string Truncate(string value) => value.Length <= 800 ? value : value[..800];

    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
