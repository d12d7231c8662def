using System.Text;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace McpSseAuth.Tests.Unit;

public sealed class OAuthParametersTests
{
    private static IQueryCollection Query(params (string Key, StringValues Value)[] pairs)
        => new QueryCollection(pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

    private static DefaultHttpContext FormRequest(string body, string? contentType = "application/x-www-form-urlencoded", long? contentLength = -1)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.ContentType = contentType;
        context.Request.ContentLength = contentLength == -1 ? bytes.Length : contentLength;
        context.Request.Body = new MemoryStream(bytes);
        return context;
    }

    [Fact]
    public void Query_SingleValuedParameters_AreRead()
    {
        Assert.True(OAuthParameters.TryFromQuery(Query(("client_id", "abc"), ("state", "xyz")), out var parameters, out var error));
        Assert.Null(error);
        Assert.Equal("abc", parameters["client_id"]);
        Assert.Equal("xyz", parameters["state"]);
    }

    [Fact]
    public void Query_MissingOrEmptyParameter_ReadsAsNull()
    {
        Assert.True(OAuthParameters.TryFromQuery(Query(("scope", "")), out var parameters, out _));
        Assert.Null(parameters["scope"]);
        Assert.Null(parameters["state"]);
    }

    [Fact]
    public void Query_ParameterNames_AreCaseSensitive()
    {
        Assert.True(OAuthParameters.TryFromQuery(Query(("Client_Id", "abc")), out var parameters, out _));
        Assert.Null(parameters["client_id"]);
    }

    [Fact]
    public void Query_DuplicatedParameter_IsInvalidRequestNamingIt()
    {
        Assert.False(OAuthParameters.TryFromQuery(Query(("client_id", "abc"), ("redirect_uri", new StringValues(["https://a.example/cb", "https://b.example/cb"]))), out var parameters, out var error));
        Assert.Null(parameters);
        Assert.Equal("invalid_request", error.Error);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("'redirect_uri'", error.Description, StringComparison.Ordinal);
        Assert.Contains("more than once", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_DuplicatedParameterWithVeryLongName_NamesItTruncated()
    {
        var name = new string('n', 500);
        Assert.False(OAuthParameters.TryFromQuery(Query((name, new StringValues(["1", "2"]))), out _, out var error));
        Assert.Contains("'" + new string('n', 40) + "'", error.Description, StringComparison.Ordinal);
        Assert.True(error.Description.Length < 200);
    }

    [Fact]
    public void Query_ValueOfExactly8KiB_IsAccepted()
    {
        Assert.True(OAuthParameters.TryFromQuery(Query(("state", new string('s', 8 * 1024))), out var parameters, out _));
        Assert.Equal(8 * 1024, parameters["state"]!.Length);
    }

    [Fact]
    public void Query_ValueOver8KiB_IsInvalidRequestNamingIt()
    {
        Assert.False(OAuthParameters.TryFromQuery(Query(("state", new string('s', (8 * 1024) + 1))), out _, out var error));
        Assert.Equal("invalid_request", error.Error);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("'state'", error.Description, StringComparison.Ordinal);
        Assert.Contains("too long", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_UrlEncodedBody_IsRead()
    {
        var context = FormRequest("grant_type=authorization_code&code=abc%20def&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb");
        var (parameters, error) = await OAuthParameters.ReadFormAsync(context);
        Assert.Null(error);
        Assert.NotNull(parameters);
        Assert.Equal("authorization_code", parameters["grant_type"]);
        Assert.Equal("abc def", parameters["code"]);
        Assert.Equal("http://127.0.0.1/cb", parameters["redirect_uri"]);
    }

    [Fact]
    public async Task Form_UrlEncodedWithCharset_IsRead()
    {
        var context = FormRequest("grant_type=refresh_token", "application/x-www-form-urlencoded; charset=utf-8");
        var (parameters, error) = await OAuthParameters.ReadFormAsync(context);
        Assert.Null(error);
        Assert.Equal("refresh_token", parameters!["grant_type"]);
    }

    [Theory]
    [InlineData("application/json", "{\"grant_type\":\"authorization_code\"}")]
    [InlineData("text/plain", "grant_type=authorization_code")]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nauthorization_code\r\n--xyz--\r\n")]
    [InlineData(null, "grant_type=authorization_code")]
    public async Task Form_WrongContentType_Is415(string? contentType, string body)
    {
        var (parameters, error) = await OAuthParameters.ReadFormAsync(FormRequest(body, contentType));
        Assert.Null(parameters);
        Assert.NotNull(error);
        Assert.Equal(415, error.StatusCode);
        Assert.Equal("invalid_request", error.Error);
        Assert.Contains("application/x-www-form-urlencoded", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_DeclaredLengthOver64KiB_Is413WithoutReadingTheBody()
    {
        var context = FormRequest("grant_type=authorization_code", contentLength: OAuthParameters.MaxBodyBytes + 1);
        var (parameters, error) = await OAuthParameters.ReadFormAsync(context);
        Assert.Null(parameters);
        Assert.NotNull(error);
        Assert.Equal(413, error.StatusCode);
        Assert.Equal("invalid_request", error.Error);
        Assert.Equal(0, context.Request.Body.Position);
    }

    [Fact]
    public async Task Form_DeclaredLengthOfExactly64KiB_IsNotRefusedForSize()
    {
        var body = "grant_type=authorization_code&pad=" + new string('p', 8 * 1024);
        var context = FormRequest(body, contentLength: OAuthParameters.MaxBodyBytes);
        var (_, error) = await OAuthParameters.ReadFormAsync(context);
        Assert.NotEqual(413, error?.StatusCode);
    }

    [Fact]
    public async Task Form_DuplicatedParameter_IsInvalidRequestNamingIt()
    {
        var (parameters, error) = await OAuthParameters.ReadFormAsync(FormRequest("code=a&code=b"));
        Assert.Null(parameters);
        Assert.Equal("invalid_request", error!.Error);
        Assert.Contains("'code'", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_ValueOver8KiB_IsInvalidRequest()
    {
        var (parameters, error) = await OAuthParameters.ReadFormAsync(FormRequest("code=" + new string('c', (8 * 1024) + 1)));
        Assert.Null(parameters);
        Assert.Equal("invalid_request", error!.Error);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task Form_MoreThan64Parameters_IsInvalidRequest()
    {
        var body = string.Join('&', Enumerable.Range(0, 65).Select(i => $"p{i}=v"));
        var (parameters, error) = await OAuthParameters.ReadFormAsync(FormRequest(body));
        Assert.Null(parameters);
        Assert.Equal("invalid_request", error!.Error);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task Form_OversizeBodyWithoutContentLength_IsRefused()
    {
        // Chunked: no Content-Length to check up front; the form limits must still stop it.
        var body = string.Join('&', Enumerable.Range(0, 200).Select(i => $"p{i}=" + new string('v', 1000)));
        var (parameters, error) = await OAuthParameters.ReadFormAsync(FormRequest(body, contentLength: null));
        Assert.Null(parameters);
        Assert.NotNull(error);
        Assert.Equal("invalid_request", error.Error);
    }
}
