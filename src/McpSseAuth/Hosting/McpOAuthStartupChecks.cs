using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Hosting;

/// <summary>
/// Checks at startup what the options validator cannot see (the sign-in schemes registered with the app), and warns
/// about settings that are fine for development and wrong in production.
/// </summary>
internal sealed class McpOAuthStartupChecks(
    IOptions<McpOAuthOptions> options,
    Scopes.ScopeRequirements scopes,
    IAuthenticationSchemeProvider schemes,
    IHostEnvironment environment,
    ILogger<McpOAuthStartupChecks> logger,
    ConfiguredStorage? storage = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        foreach (var name in o.SignIn.Schemes)
        {
            var scheme = await schemes.GetSchemeAsync(name);
            if (scheme is null)
            {
                throw new InvalidOperationException($"McpOAuthOptions.SignIn.Schemes names '{name}', but no authentication scheme of that name is registered. Register it, e.g. builder.Services.AddAuthentication().AddOpenIdConnect(\"{name}\", o => ...), or remove it from SignIn.Schemes.");
            }

            if (!typeof(IAuthenticationRequestHandler).IsAssignableFrom(scheme.HandlerType))
            {
                throw new InvalidOperationException($"The scheme '{name}' in McpOAuthOptions.SignIn.Schemes is not a remote sign-in scheme (OpenID Connect, OAuth, Google, ...): its handler {scheme.HandlerType.Name} has no callback. Remove it from SignIn.Schemes.");
            }
        }

        foreach (var service in o.ServiceTokens.Where(s => s.ConnectScheme is not null))
        {
            var scheme = await schemes.GetSchemeAsync(service.ConnectScheme!);
            if (scheme is null || !typeof(IAuthenticationRequestHandler).IsAssignableFrom(scheme.HandlerType))
            {
                throw new InvalidOperationException($"The service token '{service.Name}' connects through the scheme '{service.ConnectScheme}', which is not a registered OAuth or OpenID Connect scheme. Register it, e.g. builder.Services.AddAuthentication().AddOAuth(\"{service.ConnectScheme}\", o => ...), or remove ConnectScheme.");
            }

            if (o.SignIn.Schemes.Contains(service.ConnectScheme!, StringComparer.Ordinal))
            {
                throw new InvalidOperationException($"The scheme '{service.ConnectScheme}' both signs users in (McpOAuthOptions.SignIn.Schemes) and connects the service '{service.Name}': register a scheme of its own for the service.");
            }
        }

        foreach (var name in o.Operators.ApiSchemes)
        {
            if (await schemes.GetSchemeAsync(name) is null)
            {
                throw new InvalidOperationException($"McpOAuthOptions.Operators.ApiSchemes names '{name}', but no authentication scheme of that name is registered. Register it, e.g. builder.Services.AddAuthentication().AddJwtBearer(\"{name}\", o => ...), or remove it from Operators.ApiSchemes.");
            }
        }

        if (storage is not null && o.Signing.KeyDirectory is not null && o.Signing.Credentials is null)
        {
            throw new InvalidOperationException($"McpOAuthOptions.Signing.KeyDirectory is set ('{o.Signing.KeyDirectory}'), but the app keeps McpSseAuth's state in a storage (AddMcpOAuthSqlite, AddMcpOAuthRedis or AddMcpOAuthStorage), which holds the signing keys so that every instance shares them. Remove KeyDirectory.");
        }

        // Attributes are known only once the MCP server's primitives are: checked here, not by the options validator.
        var unknown = scopes.AllRequired().Where(s => !o.Scopes.IsSupported(s)).ToArray();
        if (unknown.Length > 0)
        {
            throw new InvalidOperationException($"Tools, prompts or resources require the scope(s) {string.Join(", ", unknown.Select(s => $"'{s}'"))}, which McpOAuthOptions.Scopes.Supported does not list. Add each with the words the consent page shows, e.g. o.Scopes.Add(\"{unknown[0]}\", \"...\"), or McpOAuth:Scopes:Supported in configuration.");
        }

        if (environment.IsDevelopment())
        {
            return;
        }

        if (o.Issuer is null)
        {
            Log.IssuerDerivedFromRequest(logger);
        }

        if (o.Signing.Credentials is null && o.Signing.KeyDirectory is null && storage is null)
        {
            Log.SigningKeyInMemory(logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
