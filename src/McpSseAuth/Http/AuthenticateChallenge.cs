using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace McpSseAuth.Http;

/// <summary>
/// A <c>WWW-Authenticate</c> challenge (RFC 9110 §11.6.1), the only place one is written: <c>Bearer</c> with the RFC 6750 §3
/// parameters and RFC 9728 §5.1's <c>resource_metadata</c>, <c>DPoP</c> (RFC 9449 §7.1) with the same and <c>algs</c>, or
/// <c>Basic</c> (RFC 7617) for client authentication. The parameters always come in the same order — <c>realm</c>,
/// <c>error</c>, <c>scope</c>, <c>resource_metadata</c>, <c>algs</c>, <c>error_description</c> — as quoted strings (RFC 9110 §5.6.4): a quote or backslash escaped, a character outside
/// printable ASCII (which a header cannot carry) written as <c>?</c>.
/// </summary>
internal sealed record AuthenticateChallenge(string Scheme)
{
    private const string BearerScheme = "Bearer";
    private const string DpopScheme = "DPoP";

    public string? Realm { get; init; }

    /// <summary>RFC 6750 §3.1: <c>invalid_request</c>, <c>invalid_token</c> or <c>insufficient_scope</c>; none without credentials.</summary>
    public string? Error { get; init; }

    /// <summary>The scopes needed, space separated.</summary>
    public string? Scope { get; init; }

    /// <summary>The protected resource metadata URL (RFC 9728 §5.1).</summary>
    public string? ResourceMetadata { get; init; }

    /// <summary>RFC 9449 §7.1: the proof algorithms accepted, space separated (DPoP only).</summary>
    public string? Algs { get; init; }

    /// <summary>A fixed, human-readable text: nothing from the request is echoed.</summary>
    public string? ErrorDescription { get; init; }

    public static AuthenticateChallenge Bearer() => new(BearerScheme);

    public static AuthenticateChallenge Dpop(IEnumerable<string> algorithms) => new(DpopScheme) { Algs = string.Join(' ', algorithms) };

    /// <summary>The scheme the request's <c>Authorization</c> header used, when it is DPoP's: errors then belong in that challenge.</summary>
    public static bool UsesDpop(HttpRequest request)
        => request.Headers.Authorization is { Count: 1 } header && header[0] is { } value && value.StartsWith(DpopScheme + " ", StringComparison.OrdinalIgnoreCase);

    /// <summary>The answer to a client that failed to authenticate with HTTP Basic (RFC 6749 §5.2).</summary>
    public static AuthenticateChallenge Basic(string realm) => new("Basic") { Realm = realm };

    /// <summary>Adds the challenge to the response (a response may carry several).</summary>
    public void AppendTo(HttpResponse response) => response.Headers.Append(HeaderNames.WWWAuthenticate, ToString());

    public override string ToString()
    {
        var header = new StringBuilder(Scheme);
        var first = true;
        void Add(string name, string? value)
        {
            if (value is null)
            {
                return;
            }

            header.Append(first ? " " : ", ").Append(name).Append("=\"");
            foreach (var c in value)
            {
                if (c is '"' or '\\')
                {
                    header.Append('\\');
                }

                header.Append(c is < ' ' or > '~' ? '?' : c);
            }

            header.Append('"');
            first = false;
        }

        Add("realm", Realm);
        Add("error", Error);
        Add("scope", Scope);
        Add("resource_metadata", ResourceMetadata);
        Add("algs", Algs);
        Add("error_description", ErrorDescription);
        return header.ToString();
    }
}
