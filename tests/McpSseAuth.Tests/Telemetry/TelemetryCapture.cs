using System.Diagnostics;
using System.Security.Cryptography;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace McpSseAuth.Tests.Telemetry;

/// <summary>
/// OpenTelemetry listens process-wide (every ActivitySource and Meter of the name, whichever app made them), so the tests
/// that read what it exported run alone, after the others.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryTestGroup
{
    public const string Name = "OpenTelemetry, alone";
}

/// <summary>
/// The sample with its OpenTelemetry wiring switched on (<c>OpenTelemetry:Enabled</c>) and OpenTelemetry's in-memory
/// exporters added: every span and metric the app exports, and an HTTP client whose requests all belong to one trace.
/// </summary>
public sealed class TelemetryCapture : IAsyncDisposable
{
    private readonly List<Activity> _spans = [];
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly SemaphoreSlim _ended = new(0);

    public TelemetryCapture(Action<McpOAuthOptions>? configure = null)
    {
        App = new SampleApp(
            configure: configure,
            settings: new Dictionary<string, string?> { ["OpenTelemetry:Enabled"] = "true" },
            services: services => services
                .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans).AddProcessor(new Ended(_ended)))
                .ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics)));
        Http = App.CreateDefaultClient(App.BaseAddress, new TraceParent(TraceId));
    }

    public SampleApp App { get; }

    /// <summary>The trace every request of <see cref="Http"/> belongs to (its <c>traceparent</c>).</summary>
    public ActivityTraceId TraceId { get; } = ActivityTraceId.CreateRandom();

    /// <summary>Follows no redirects and keeps no cookies; every request carries the <see cref="TraceId"/>.</summary>
    public HttpClient Http { get; }

    /// <summary>The spans of <see cref="TraceId"/> exported so far.</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            App.Services.GetRequiredService<TracerProvider>().ForceFlush();
            lock (_spans)
            {
                return [.. _spans.Where(s => s.TraceId == TraceId)];
            }
        }
    }

    /// <summary>
    /// The spans of <see cref="TraceId"/> once each of McpSseAuth's has its parent exported too: ASP.NET Core ends a
    /// request's span after its response reached the client, so a request's own span may still be open when the test
    /// looks. Waits for each further span to end, up to 15 s, then returns what there is (the assertions say what is missing).
    /// </summary>
    public async Task<IReadOnlyList<Activity>> SettledSpansAsync()
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var spans = Spans;
            var ids = spans.Select(s => s.SpanId).ToHashSet();
            var left = TimeSpan.FromSeconds(15) - waited.Elapsed;
            if (spans.Where(s => s.Source.Name == McpOAuthDefaults.TelemetryName).All(s => ids.Contains(s.ParentSpanId))
                || left <= TimeSpan.Zero || !await _ended.WaitAsync(left))
            {
                return spans;
            }
        }
    }

    /// <summary>The sum of <paramref name="name"/>'s points whose attributes include <paramref name="tags"/>, as last exported.</summary>
    public long Sum(string name, params (string Key, string Value)[] tags) => Points(name, tags).Sum(p => p.GetSumLong());

    /// <summary>How many measurements a histogram took, over its points whose attributes include <paramref name="tags"/>.</summary>
    public long Count(string name, params (string Key, string Value)[] tags) => Points(name, tags).Sum(p => p.GetHistogramCount());

    /// <summary>The last value an up-down counter reported, over its points whose attributes include <paramref name="tags"/>.</summary>
    public long Gauge(string name, params (string Key, string Value)[] tags) => Points(name, tags).Sum(p => p.GetSumLong());

    /// <summary>Every attribute set a metric was reported with, as last exported.</summary>
    public IReadOnlyList<Dictionary<string, object?>> Attributes(string name) => [.. Points(name, []).Select(TagsOf)];

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        _ended.Dispose();
    }

    private List<MetricPoint> Points(string name, (string Key, string Value)[] tags)
    {
        App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        lock (_metrics)
        {
            // Cumulative: the last snapshot of a metric holds everything so far.
            var last = _metrics.LastOrDefault(m => m.Name == name);
            return last is null ? [] : [.. last.MetricPoints.Where(p => tags.All(t => TagsOf(p).TryGetValue(t.Key, out var v) && Equals(v?.ToString(), t.Value)))];
        }
    }

    private static Dictionary<string, object?> TagsOf(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }

    /// <summary>Puts every request in the capture's trace, as a caller that traces would.</summary>
    /// <summary>Tells <see cref="SettledSpansAsync"/> that a span ended (after the exporter took it).</summary>
    private sealed class Ended(SemaphoreSlim ended) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => ended.Release();
    }

    private sealed class TraceParent(ActivityTraceId traceId) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove("traceparent");
            request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
