using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider on loopback: tests/e2e-ts/oidc-provider.mjs (<c>oidc-provider</c> pinned by the
/// lockfile, installed by <c>npm ci</c>). One confidential client whose redirect URI may be
/// <c>http://127.0.0.1:&lt;any port&gt;/signin-*</c>; any login (an e-mail) signs in with the password <c>password</c>.
/// The node process ends when this object is disposed, when the test process dies (its stdin closes) or after 15 minutes.
/// </summary>
public sealed partial class OidcProvider : IAsyncDisposable
{
    public const string Password = "password";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private OidcProvider(Process process, StringBuilder stderr, string issuer, string clientId, string clientSecret)
    {
        _process = process;
        _stderr = stderr;
        Issuer = issuer;
        ClientId = clientId;
        ClientSecret = clientSecret;
    }

    /// <summary>The issuer, <c>http://127.0.0.1:PORT</c> (no trailing slash); discovery is at <c>/.well-known/openid-configuration</c>.</summary>
    public string Issuer { get; }

    public string ClientId { get; }

    public string ClientSecret { get; }

    /// <summary>What the provider wrote to stderr so far (notices, errors).</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <param name="accessTokenTtlSeconds">The provider's access token lifetime.</param>
    /// <param name="userInfoOnly">The ID token carries <c>sub</c> alone; every other claim comes only from UserInfo (OIDC Core §5.4).</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<OidcProvider> StartAsync(int accessTokenTtlSeconds = 3600, bool userInfoOnly = false, CancellationToken ct = default)
    {
        var folder = TypeScriptClient.Folder;
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "oidc-provider")))
        {
            var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? " (CI=true: it must be installed)" : "";
            throw new InvalidOperationException($"oidc-provider is not installed{ci}: run 'npm ci' in {folder} (scripts/test.sh does).");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("oidc-provider.mjs");
        start.ArgumentList.Add("--access-token-ttl");
        start.ArgumentList.Add(accessTokenTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (userInfoOnly)
        {
            start.ArgumentList.Add("--userinfo-only");
        }

        var stderr = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        try
        {
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(StartTimeout, ct);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"oidc-provider.mjs printed nothing in {StartTimeout.TotalSeconds} s. stderr: {await StandardErrorAfterExitAsync(process, stderr)}");
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                throw new InvalidOperationException($"oidc-provider.mjs exited without printing its issuer. stderr: {await StandardErrorAfterExitAsync(process, stderr)}");
            }

            string issuer, clientId, clientSecret;
            try
            {
                using var json = JsonDocument.Parse(line);
                issuer = json.RootElement.GetProperty("issuer").GetString()!;
                clientId = json.RootElement.GetProperty("clientId").GetString()!;
                clientSecret = json.RootElement.GetProperty("clientSecret").GetString()!;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidOperationException($"oidc-provider.mjs printed '{line}' instead of its JSON line. stderr: {await StandardErrorAfterExitAsync(process, stderr)}", e);
            }

            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);   // nothing more is expected; never let the pipe fill
            return new OidcProvider(process, stderr, issuer, clientId, clientSecret);
        }
        catch
        {
            Stop(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Walks from an authorization URL like a browser: follows the provider's redirects, fills the login form with
    /// <paramref name="login"/> and <paramref name="password"/>, and returns the first Location that leaves the provider
    /// (the redirect URI with <c>code</c> or <c>error</c>). <paramref name="http"/> must keep cookies and not follow redirects.
    /// A <c>form_post</c> response is returned as its action with the posted fields as the query.
    /// </summary>
    public async Task<Uri> SignInAsync(HttpClient http, Uri authorizationUrl, string login, string password = Password)
    {
        var issuer = new Uri(Issuer);
        var url = authorizationUrl;
        HttpContent? body = null;
        for (var hop = 0; hop < 10; hop++)
        {
            using var response = body is null ? await http.GetAsync(url) : await http.PostAsync(url, body);
            body = null;
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                var location = new Uri(url, response.Headers.Location!);
                if (location.GetLeftPart(UriPartial.Authority) != issuer.GetLeftPart(UriPartial.Authority))
                {
                    return location;
                }

                url = location;
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            var action = FormActionRegex().Match(html);
            var target = action.Success ? new Uri(url, WebUtility.HtmlDecode(action.Groups["action"].Value)) : null;
            if (target is not null && target.GetLeftPart(UriPartial.Authority) != issuer.GetLeftPart(UriPartial.Authority))
            {
                // response_mode=form_post (200, or 400 for an error): the page posts the result to the redirect URI.
                var fields = HiddenInputRegex().Matches(html).Select(m => $"{Uri.EscapeDataString(WebUtility.HtmlDecode(m.Groups["name"].Value))}={Uri.EscapeDataString(WebUtility.HtmlDecode(m.Groups["value"].Value))}");
                return new UriBuilder(target) { Query = string.Join('&', fields) }.Uri;
            }

            if (response.StatusCode != HttpStatusCode.OK || target is null)
            {
                throw new InvalidOperationException($"Unexpected page {(int)response.StatusCode} at {url}: {html[..Math.Min(html.Length, 600)]}");
            }

            if (url.AbsolutePath.EndsWith("/login", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The provider rejected the login '{login}' (the login form came back).");
            }

            url = target;
            body = new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = login, ["password"] = password });
        }

        throw new InvalidOperationException("Too many hops in the authorization flow.");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();   // the script exits when its stdin closes
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }

        Stop(_process);
        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static async Task<string> StandardErrorAfterExitAsync(Process process, StringBuilder stderr)
    {
        Stop(process);
        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await process.WaitForExitAsync(grace.Token);   // flushes the stderr reader
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
        }

        lock (stderr)
        {
            return stderr.ToString();
        }
    }

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]*)\"")]
    private static partial Regex FormActionRegex();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenInputRegex();
}
