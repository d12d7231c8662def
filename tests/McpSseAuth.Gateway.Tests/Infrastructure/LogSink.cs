using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace McpSseAuth.Gateway.Tests.Infrastructure;

/// <summary>Keeps every log line of the app: category, event id and the formatted message.</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, EventId Id, string Message)> _lines = new();

    public IReadOnlyList<(string Category, EventId Id, string Message)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => sink._lines.Enqueue((category, eventId, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
