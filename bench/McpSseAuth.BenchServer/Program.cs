using McpSseAuth.SampleServer;

// The sample server's MCP part without McpSseAuth: the same SDK, the same tools and the same transports as the sample
// (Streamable HTTP at /mcp, legacy SSE at /sse + /message, sessions as McpSseAuth configures them), and no authentication.
// The benchmarks run it beside the sample to measure what McpSseAuth costs.
var builder = WebApplication.CreateBuilder(args);

#pragma warning disable MCP9004 // Legacy SSE is obsolete in the SDK; the benchmark measures it because McpSseAuth serves it.
builder.Services.AddMcpServer()
    .WithHttpTransport(o =>
    {
        o.EnableLegacySse = true;
        o.SessionMode = ModelContextProtocol.AspNetCore.HttpServerSessionMode.StatefulForInitializeClients;
    })
    .WithTools<SampleTools>();
#pragma warning restore MCP9004

var app = builder.Build();
app.MapMcp("/mcp");
app.MapMcp("");
app.MapGet("/ready", () => Results.Text("ready\n"));
app.Run();
