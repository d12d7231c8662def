using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace McpSseAuth.Hosting;

/// <summary>
/// The one place that touches the SDK's obsolete legacy SSE switch (MCP9004). Legacy HTTP+SSE is what many clients
/// still speak and what this library is named for; it needs server sessions, so a <c>Stateless</c> mode becomes
/// <c>StatefulForInitializeClients</c>, which still serves 2026-07-28 clients statelessly.
/// </summary>
internal sealed class LegacySseTransportSetup(IOptions<McpOAuthOptions> options) : IPostConfigureOptions<HttpServerTransportOptions>
{
    public void PostConfigure(string? name, HttpServerTransportOptions transport)
    {
        if (!options.Value.EnableLegacySse)
        {
            return;
        }

#pragma warning disable MCP9004 // Legacy SSE is deprecated by the SDK; this library keeps it working on purpose.
        transport.EnableLegacySse = true;
#pragma warning restore MCP9004
        if (transport.SessionMode == HttpServerSessionMode.Stateless)
        {
            transport.SessionMode = HttpServerSessionMode.StatefulForInitializeClients;
        }
    }

    public static bool IsLegacySseEnabled(HttpServerTransportOptions transport)
    {
#pragma warning disable MCP9004 // Reading the same switch, to fail early with a fix-it message.
        return transport.EnableLegacySse && transport.SessionMode != HttpServerSessionMode.Stateless;
#pragma warning restore MCP9004
    }
}
