using Microsoft.Extensions.Logging;

namespace McpSseAuth.Tests.Infrastructure;

/// <summary>One log entry as the app wrote it: category, event id, level, the formatted line and its structured values.</summary>
public sealed record CapturedLog(string Category, EventId EventId, LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Values)
{
    public override string ToString() => $"{Level} {Category}[{EventId.Id}] {Message}";
}

/// <summary>
/// A logger provider that keeps every entry in memory. Register it in the app's services
/// (<c>services.AddSingleton&lt;ILoggerProvider&gt;(capture)</c>): the logger factory picks up every registered provider.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly List<CapturedLog> _entries = [];

    public IReadOnlyList<CapturedLog> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IReadOnlyList<CapturedLog> WithEventId(int id) => [.. Entries.Where(e => e.EventId.Id == id)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(CapturedLog entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    values[key] = value?.ToString();
                }
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message += Environment.NewLine + exception;
            }

            capture.Add(new CapturedLog(category, eventId, logLevel, message, values));
        }
    }
}
