using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using McpSseAuth.Tests.Infrastructure;
using HttpTest = McpSseAuth.Tests.Integration.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace McpSseAuth.Tests.Docs;

/// <summary>
/// docs/clients.md lists the redirect URIs each MCP client registers. The list below is the doc's: every URI must be in the
/// doc, so the two cannot drift. Each client's registration, sent as the client sends it (all its URIs in one request), must
/// be accepted with the default options. The authorization endpoint
/// must then send the code back to each URI the client uses, and the code must redeem there.
/// </summary>
public sealed class ClientRedirectUriTests
{
    /// <summary>
    /// A client as docs/clients.md describes it. <c>Documented</c> is the text the doc shows (<c>&lt;port&gt;</c> where the
    /// client picks a port); <c>Registered</c> is the registration request's <c>redirect_uris</c>; <c>Used</c> are the
    /// redirect URIs of its authorization requests (another loopback port where the client picks one at run time).
    /// </summary>
    private sealed record Client(string Name, string[] Documented, string[] Registered, string[] Used);

    private static readonly Client[] Clients =
    [
        new("Claude Code",
            ["http://localhost:<port>/callback"],
            ["http://localhost:53123/callback"],
            ["http://localhost:53123/callback", "http://localhost:60111/callback"]),
        new("Claude.ai",
            ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
            ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
            ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"]),
        new("VS Code",
            ["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"],
            ["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"],
            ["http://127.0.0.1:33418/", "http://127.0.0.1:54321/", "https://vscode.dev/redirect"]),
        new("Cursor",
            ["cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "http://localhost:8787/callback"],
            ["cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "http://localhost:8787/callback"],
            ["http://localhost:8787/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "cursor://anysphere.cursor-mcp/oauth/callback"]),
        new("mcp-remote",
            ["http://localhost:<port>/oauth/callback"],
            ["http://localhost:20934/oauth/callback"],
            ["http://localhost:20934/oauth/callback"]),
        new("MCP Inspector",
            ["http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"],
            ["http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"],
            ["http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"]),
        new("MCP Inspector --tui / --cli",
            ["http://127.0.0.1:6276/oauth/callback"],
            ["http://127.0.0.1:6276/oauth/callback"],
            ["http://127.0.0.1:6276/oauth/callback"]),
    ];

    // Client ID metadata documents as their publishers serve them (client_id aside, which must be the URL it is served at).
    private static readonly string[] ClaudeCodeDocumentRedirects = ["http://localhost/callback", "http://127.0.0.1/callback"];
    private static readonly string[] VsCodeDocumentRedirects = ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"];

    public static TheoryData<string> ClientNames()
    {
        var names = new TheoryData<string>();
        foreach (var client in Clients)
        {
            names.Add(client.Name);
        }

        return names;
    }

    private static string Doc() => File.ReadAllText(Path.Combine(Repository.Root, "docs", "clients.md"));

    [Fact]
    public void Doc_ListsEveryRedirectUriOfThisTest()
    {
        var doc = Doc();
        var expected = Clients.SelectMany(c => c.Documented).Concat(ClaudeCodeDocumentRedirects).Concat(VsCodeDocumentRedirects)
            .Select(uri => $"`{uri}`");

        var missing = expected.Where(text => !doc.Contains(text, StringComparison.Ordinal)).ToArray();

        Assert.True(missing.Length == 0, "docs/clients.md lacks: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(ClientNames))]
    public async Task Register_EachClientsRedirectUris_WithDefaultOptions_AreAcceptedAndTheCodeComesBackToEach(string name)
    {
        var client = Clients.Single(c => c.Name == name);
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();

        var registration = await RegisterAsync(http, client.Registered);
        Assert.True(registration.StatusCode == HttpStatusCode.Created, $"{name}: {(int)registration.StatusCode} {await registration.Content.ReadAsStringAsync()}");
        var clientId = (await HttpTest.ReadJsonAsync(registration)).GetProperty("client_id").GetString()!;

        foreach (var redirectUri in client.Used)
        {
            await AssertCodeComesBackAsync(http, clientId, redirectUri);
        }
    }

    [Fact]
    public async Task Cursor_WithoutItsSchemeAllowed_IsRefusedAsAWhole()
    {
        // Cursor sends its private-use URI with two acceptable ones, and one refused URI refuses the registration: an
        // operator who removes "cursor" from the default schemes refuses Cursor, as docs/clients.md says.
        await using var app = new SampleApp(configure: o => o.RedirectUris.AllowedSchemes.Remove("cursor"));
        using var http = app.CreateRawClient();

        var response = await RegisterAsync(http, Clients.Single(c => c.Name == "Cursor").Registered);

        var error = await HttpTest.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_redirect_uri");
        Assert.Contains("cursor", error.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClaudeCodesMetadataDocument_WithPortlessLoopbackUris_IsAcceptedOnAnyPort()
    {
        await using var documents = await DocumentServer.StartAsync();
        await using var app = new SampleApp(configure: o => o.ClientMetadataDocuments.AllowLoopback = true);
        using var http = app.CreateRawClient();
        var clientId = Serve(documents, "/oauth/claude-code-client-metadata", new Dictionary<string, object>
        {
            ["client_name"] = "Claude Code",
            ["client_uri"] = "https://claude.ai",
            ["redirect_uris"] = ClaudeCodeDocumentRedirects,
            ["grant_types"] = new[] { "authorization_code", "refresh_token" },
            ["response_types"] = new[] { "code" },
            ["token_endpoint_auth_method"] = "none",
        });

        await AssertCodeComesBackAsync(http, clientId, "http://localhost:53123/callback");
        await AssertCodeComesBackAsync(http, clientId, "http://127.0.0.1:53123/callback");
    }

    [Fact]
    public async Task VsCodesMetadataDocument_WithTheDeviceCodeGrant_IsAcceptedAndThatGrantLeftOut()
    {
        // VS Code prefers its document whenever the server offers documents (the default), and the document lists the device
        // code grant, which McpSseAuth does not support: it is left out, the rest of the document serves.
        await using var documents = await DocumentServer.StartAsync();
        await using var app = new SampleApp(configure: o => o.ClientMetadataDocuments.AllowLoopback = true);
        using var http = app.CreateRawClient();
        var clientId = Serve(documents, "/oauth/client-metadata.json", new Dictionary<string, object>
        {
            ["client_name"] = "Visual Studio Code",
            ["grant_types"] = new[] { "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code" },
            ["response_types"] = new[] { "code" },
            ["token_endpoint_auth_method"] = "none",
            ["application_type"] = "native",
            ["client_uri"] = "https://vscode.dev/product",
            ["redirect_uris"] = VsCodeDocumentRedirects,
        });

        await AssertCodeComesBackAsync(http, clientId, "http://127.0.0.1:33418/");
        await AssertCodeComesBackAsync(http, clientId, "https://vscode.dev/redirect");
    }

    [Fact]
    public async Task Register_WithTheDeviceCodeGrant_IsStillRefused()
    {
        // A registration is answered to its own client, which can register again without it: unknown grant types stay refused there.
        await using var app = new SampleApp();
        using var http = app.CreateRawClient();

        var response = await http.PostAsJsonAsync("/oauth/register", new Dictionary<string, object>
        {
            ["redirect_uris"] = new[] { "http://127.0.0.1:33418/" },
            ["grant_types"] = new[] { "authorization_code", "urn:ietf:params:oauth:grant-type:device_code" },
            ["token_endpoint_auth_method"] = "none",
        });

        await HttpTest.AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_client_metadata");
    }

    private static Task<HttpResponseMessage> RegisterAsync(HttpClient http, string[] redirectUris)
        => http.PostAsJsonAsync("/oauth/register", new Dictionary<string, object>
        {
            ["client_name"] = "Doc client",
            ["redirect_uris"] = redirectUris,
            ["grant_types"] = new[] { "authorization_code", "refresh_token" },
            ["response_types"] = new[] { "code" },
            ["token_endpoint_auth_method"] = "none",
        });

    private static string Serve(DocumentServer documents, string path, Dictionary<string, object> document)
    {
        var clientId = documents.Url(path);
        document["client_id"] = clientId;
        documents.Serve(path, new DocumentServer.Response(200, JsonSerializer.Serialize(document)));
        return clientId;
    }

    /// <summary>Signs in as alice, allows, and checks that the code arrives at <paramref name="redirectUri"/> and redeems there.</summary>
    private static async Task AssertCodeComesBackAsync(HttpClient http, string clientId, string redirectUri)
    {
        var flow = new OAuthFlow(http);

        var location = await new Browser(http).AuthorizeAsync(flow.AuthorizeUrl(clientId, HttpTest.McpResource, redirectUri), "alice", "alice");

        Assert.StartsWith(redirectUri + "?", location.OriginalString, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(flow.State, query["state"].ToString());
        var redeemed = await flow.RedeemAsync(clientId, query["code"].ToString(), redirectUri: redirectUri);
        Assert.True(redeemed.StatusCode == HttpStatusCode.OK, $"{redirectUri}: {(int)redeemed.StatusCode} {await redeemed.Content.ReadAsStringAsync()}");
    }
}
