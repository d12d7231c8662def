using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpSseAuth;

/// <summary>
/// Warns at startup about settings that are fine for development and wrong in production. Errors are the options
/// validator's job; these are the choices that still work but should be deliberate.
/// </summary>
internal sealed class McpOAuthStartupChecks(IOptions<McpOAuthOptions> options, IHostEnvironment environment, ILogger<McpOAuthStartupChecks> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (environment.IsDevelopment())
        {
            return Task.CompletedTask;
        }

        var o = options.Value;
        if (o.Issuer is null)
        {
            Log.IssuerDerivedFromRequest(logger);
        }

        if (o.SigningCredentials is null && o.KeyDirectory is null)
        {
            Log.SigningKeyInMemory(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
