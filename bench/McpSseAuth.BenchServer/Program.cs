using McpSseAuth.BenchServer;
using Microsoft.AspNetCore.Authentication.JwtBearer;

// The sample server's MCP part without McpSseAuth: the same SDK, the same tools and the same transports as the sample
// (Streamable HTTP at /mcp, legacy SSE at /sse + /message, sessions as McpSseAuth configures them). The benchmarks run it
// beside the sample to measure what McpSseAuth costs:
//  - no authentication (the default);
//  - with "--Authority <url of the sample>": what a .NET server author hand-wires today, the SDK behind AddJwtBearer,
//    validating the sample's access tokens (its discovery document and JWKS; audience its /mcp and /sse) on every request;
//  - with "--ConstantTokens <token> <token>...": the floor, the cheapest authentication there is (ConstantTokenHandler).
var builder = WebApplication.CreateBuilder(args);
var authority = builder.Configuration["Authority"];
var constantTokens = builder.Configuration["ConstantTokens"]?.Split(' ', StringSplitOptions.RemoveEmptyEntries);

builder.Services.AddSampleMcpServer();

if (authority is not null)
{
    builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
        .AddJwtBearer(o =>
        {
            o.Authority = authority;
            o.RequireHttpsMetadata = false;
            o.MapInboundClaims = false;
            o.TokenValidationParameters.ValidAudiences = [authority.TrimEnd('/') + "/mcp", authority.TrimEnd('/') + "/sse"];
            o.TokenValidationParameters.ValidTypes = ["at+jwt"];
        });
    builder.Services.AddAuthorization();
}
else if (constantTokens is not null)
{
    builder.Services.AddAuthentication(ConstantTokenHandler.SchemeName)
        .AddScheme<ConstantTokenOptions, ConstantTokenHandler>(ConstantTokenHandler.SchemeName, o => o.Tokens.AddRange(constantTokens.Select(System.Text.Encoding.ASCII.GetBytes)));
    builder.Services.AddAuthorization();
}

var app = builder.Build();
var mcp = app.MapMcp("/mcp");
var legacy = app.MapMcp("");
if (authority is not null || constantTokens is not null)
{
    mcp.RequireAuthorization();
    legacy.RequireAuthorization();
}

app.MapGet("/ready", () => Results.Text("ready\n"));
app.Run();
