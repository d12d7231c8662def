using System.Text;
using McpSseAuth.Http;
using McpSseAuth.Registration;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Identity;

/// <summary>
/// The built-in login page for local users. The form posts <c>username</c> and <c>password</c>; on success the
/// user is signed in to <see cref="McpOAuthDefaults.SignInCookieScheme"/> and sent back to the authorization request.
/// </summary>
internal sealed class LoginEndpoint(IAntiforgery antiforgery, SignInThrottle throttle, IOptions<McpOAuthOptions> options, ILogger<LoginEndpoint> logger)
{
    private const string ReturnUrlField = "ReturnUrl";

    public Task HandleGetAsync(HttpContext context)
    {
        var returnUrl = context.Request.Query[ReturnUrlField].ToString();
        return WritePageAsync(context, 200, IsSafeReturnUrl(context, returnUrl) ? returnUrl : "", userName: "", problem: null);
    }

    public async Task HandlePostAsync(HttpContext context)
    {
        if (await HtmlForm.ReadAsync(context, antiforgery) is not { } parameters)
        {
            return;
        }

        var returnUrl = parameters[ReturnUrlField] ?? "";
        if (!IsSafeReturnUrl(context, returnUrl))
        {
            returnUrl = "";
        }

        var userName = parameters["username"] ?? "";
        var password = parameters["password"] ?? "";
        var user = options.Value.Users.FirstOrDefault(u => string.Equals(u.UserName, userName, StringComparison.OrdinalIgnoreCase));
        if (!throttle.IsAllowed(context, userName))
        {
            Log.SignInThrottled(logger, user?.UserName ?? "(unknown user)", context.Connection.RemoteIpAddress?.ToString());
            context.Response.Headers.RetryAfter = ((int)options.Value.FailedSignInWindow.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WritePageAsync(context, StatusCodes.Status429TooManyRequests, returnUrl, userName, "Too many failed sign-ins. Wait a few minutes, then try again.");
            return;
        }

        if (!LocalUserPasswords.Verify(user, userName, password))
        {
            throttle.RecordFailure(context, userName);
            // Only a known user name is logged: an unknown one is often a password typed into the wrong field.
            Log.SignInFailed(logger, user?.UserName ?? "(unknown user)");
            await WritePageAsync(context, 200, returnUrl, userName, "The user name or password is not correct.");
            return;
        }

        await context.SignInAsync(McpOAuthDefaults.SignInCookieScheme, SignedInUser.CreateLocal(user!));
        Log.UserSignedIn(logger, user!.UserName);
        if (returnUrl.Length == 0)
        {
            await HtmlPage.WriteAsync(context, 200, "Signed in", "<p>You are signed in. Return to the application to continue.</p>");
            return;
        }

        context.Response.Redirect(returnUrl);
    }

    /// <summary>
    /// Only back to this server's authorization endpoint: the login page must not be an open redirector. Printable
    /// ASCII only, as the sign-in challenge builds it: a posted CR/LF would be written into the Location header.
    /// </summary>
    private bool IsSafeReturnUrl(HttpContext context, string returnUrl)
    {
        var expected = (context.Request.PathBase + options.Value.AuthorizationEndpointPath).ToUriComponent();
        return returnUrl.StartsWith(expected + "?", StringComparison.Ordinal) && RedirectUriRules.IsPrintableAscii(returnUrl);
    }

    private Task WritePageAsync(HttpContext context, int status, string returnUrl, string userName, string? problem)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = new StringBuilder();
        if (problem is not null)
        {
            body.Append("<p class=\"error\" role=\"alert\">").Append(HtmlPage.Encode(problem)).Append("</p>");
        }

        body.Append("<form method=\"post\" action=\"").Append(HtmlPage.Encode((context.Request.PathBase + options.Value.LoginPath).ToUriComponent())).Append("\">")
            .Append("<input type=\"hidden\" name=\"").Append(HtmlPage.Encode(tokens.FormFieldName)).Append("\" value=\"").Append(HtmlPage.Encode(tokens.RequestToken)).Append("\">")
            .Append("<input type=\"hidden\" name=\"").Append(ReturnUrlField).Append("\" value=\"").Append(HtmlPage.Encode(returnUrl)).Append("\">")
            .Append("<label for=\"username\">User name</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus value=\"").Append(HtmlPage.Encode(userName)).Append("\">")
            .Append("<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>")
            .Append("<button type=\"submit\">Sign in</button></form>");
        return HtmlPage.WriteAsync(context, status, "Sign in", body.ToString());
    }
}
