using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace McpSseAuth.SampleServer;

/// <summary>
/// OpenTelemetry for the sample: ASP.NET Core's request spans and metrics with McpSseAuth's inside them, exported over OTLP
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the OpenTelemetry convention; e.g. http://localhost:4317 for a local
/// collector or the .NET Aspire dashboard). Off by default: with neither that nor <c>OpenTelemetry:Enabled=true</c>,
/// nothing listens and the spans cost nothing.
/// </summary>
public static class SampleTelemetry
{
    public static void AddFromConfiguration(WebApplicationBuilder builder)
    {
        var otlp = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 };
        if (!otlp && !builder.Configuration.GetValue<bool>("OpenTelemetry:Enabled"))
        {
            return;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddSource(McpOAuthDefaults.TelemetryName))
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddMeter(McpOAuthDefaults.TelemetryName));
        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }
    }
}
