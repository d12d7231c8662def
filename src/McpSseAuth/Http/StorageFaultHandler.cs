using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Http;

/// <summary><c>UseExceptionHandler</c> answers an unreachable storage with the same 503 as <see cref="StorageFaults"/>, not the app's error page.</summary>
internal sealed class StorageFaultHandler(ILogger<StorageFaults> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (StorageFaults.Find(exception) is not { } e || httpContext.Response.HasStarted)
        {
            return false;
        }

        await StorageFaults.AnswerAsync(httpContext, e, logger);
        return true;
    }
}
