using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Http;

/// <summary>The developer exception page answers an unreachable storage with the same 503 as <see cref="StorageFaults"/>, not a 500 with a stack trace.</summary>
internal sealed class StorageFaultPageFilter(ILogger<StorageFaults> logger) : IDeveloperPageExceptionFilter
{
    public Task HandleExceptionAsync(ErrorContext errorContext, Func<ErrorContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(errorContext);
        ArgumentNullException.ThrowIfNull(next);
        return StorageFaults.Find(errorContext.Exception) is { } e && !errorContext.HttpContext.Response.HasStarted
            ? StorageFaults.AnswerAsync(errorContext.HttpContext, e, logger)
            : next(errorContext);
    }
}
