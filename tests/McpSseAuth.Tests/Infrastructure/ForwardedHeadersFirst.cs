using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>Runs <c>UseForwardedHeaders</c> first in the app's pipeline, as a proxied app does in its Program.cs.</summary>
internal sealed class ForwardedHeadersFirst : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseForwardedHeaders();
        next(app);
    };
}
