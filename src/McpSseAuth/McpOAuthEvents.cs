using Microsoft.AspNetCore.Http;

namespace McpSseAuth;

/// <summary>Hooks into McpSseAuth's steps, in the manner of ASP.NET Core's authentication events.</summary>
public class McpOAuthEvents
{
    /// <summary>Called after a client registered dynamically.</summary>
    public Func<ClientRegisteredContext, Task> OnClientRegistered { get; set; } = _ => Task.CompletedTask;

    /// <summary>Called after tokens were issued at the token endpoint.</summary>
    public Func<TokenIssuedContext, Task> OnTokenIssued { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnClientRegistered"/>.</summary>
    /// <param name="context">What was registered.</param>
    /// <returns>A task.</returns>
    public virtual Task ClientRegistered(ClientRegisteredContext context) => OnClientRegistered(context);

    /// <summary>Invokes <see cref="OnTokenIssued"/>.</summary>
    /// <param name="context">What was issued.</param>
    /// <returns>A task.</returns>
    public virtual Task TokenIssued(TokenIssuedContext context) => OnTokenIssued(context);
}

/// <summary>A client was registered.</summary>
/// <param name="HttpContext">The registration request.</param>
/// <param name="ClientId">The new client id.</param>
/// <param name="ClientName">The name the client gave, if any.</param>
/// <param name="RedirectUris">The registered redirect URIs.</param>
public sealed record ClientRegisteredContext(HttpContext HttpContext, string ClientId, string? ClientName, IReadOnlyList<string> RedirectUris);

/// <summary>Tokens were issued.</summary>
/// <param name="HttpContext">The token request.</param>
/// <param name="ClientId">The client the tokens were issued to.</param>
/// <param name="Subject">The user the tokens act for.</param>
/// <param name="GrantType">The grant type used.</param>
/// <param name="Scopes">The granted scopes.</param>
/// <param name="Audiences">The audiences of the access token: the MCP endpoints it is valid for.</param>
public sealed record TokenIssuedContext(HttpContext HttpContext, string ClientId, string Subject, string GrantType, IReadOnlyList<string> Scopes, IReadOnlyList<string> Audiences);
