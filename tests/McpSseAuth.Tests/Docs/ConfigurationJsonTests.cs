using System.Collections;
using System.Globalization;
using System.Text;
using McpSseAuth.Hosting;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace McpSseAuth.Tests.Docs;

/// <summary>
/// The JSON that docs/configuration.md shows is what a user writes: it binds into <see cref="McpOAuthOptions"/> with
/// unknown keys refused, passes validation, and each value it shows for a setting with a default is that default. The
/// sample refuses a key that names no setting, such as a flat name from before the groups.
/// </summary>
public sealed class ConfigurationJsonTests
{
    /// <summary>Values the block shows as examples rather than defaults.</summary>
    private static readonly HashSet<string> Examples = new(StringComparer.OrdinalIgnoreCase)
    {
        "McpOAuth:Issuer", "McpOAuth:ResourceName", "McpOAuth:Signing:KeyDirectory",
    };

    [Fact]
    public void TheDocumentedJson_BindsWithUnknownKeysRefused_AndValidates()
    {
        var options = Bind(DocumentedJson());

        var result = new McpOAuthOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(new Uri("https://mcp.example.com"), options.Issuer);
        Assert.Contains("corp", options.SignIn.Schemes);
        Assert.Contains("example.com", options.SignIn.AccessRules.AllowedEmailDomains);
        Assert.Equal("reporting-job", Assert.Single(options.Clients).ClientId);
        Assert.Equal(["mcp:tools", "files:write"], options.Scopes.Supported.Select(s => s.Name));
        Assert.Equal("Change your files", options.Scopes.Supported[1].Description);
        Assert.Contains("claude.ai", options.RedirectUris.AllowedHosts);
    }

    [Fact]
    public void EveryScalarTheDocumentedJsonShows_IsTheDefault()
    {
        var configuration = Configuration(DocumentedJson());
        var defaults = new McpOAuthOptions();
        var compared = 0;
        foreach (var (key, value) in configuration.AsEnumerable().Where(e => e.Value is not null && !Examples.Contains(e.Key)))
        {
            if (Resolve(defaults, key.Split(':').Skip(1).ToArray()) is not { } property)
            {
                continue;
            }

            var expected = Convert.ToString(property, CultureInfo.InvariantCulture);
            var shown = property switch
            {
                TimeSpan => Convert.ToString(TimeSpan.Parse(value!, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                bool => bool.Parse(value!).ToString(),
                _ => value,
            };
            Assert.True(expected == shown, $"docs/configuration.md shows {key} = {value}, but its default is {expected}.");
            compared++;
        }

        Assert.True(compared > 30, $"Only {compared} values were compared: the block lost its groups.");
    }

    [Fact]
    public void AFlatNameFromBeforeTheGroups_IsRefusedWhenBound()
    {
        var json = """{ "McpOAuth": { "AccessTokenLifetime": "00:10:00" } }""";

        var error = Assert.Throws<InvalidOperationException>(() => Bind(json));

        Assert.Contains("AccessTokenLifetime", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSample_StopsAtStartupOnAFlatName()
    {
        using var sample = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseEnvironment("Development")
            .UseSetting("McpOAuth:Signing:KeyDirectory", null)
            .UseSetting("McpOAuth:MaxSessionsPerUser", "5"));

        var error = Assert.ThrowsAny<Exception>(() => sample.CreateClient());

        Assert.Contains("MaxSessionsPerUser", Flatten(error), StringComparison.Ordinal);
    }

    private static string Flatten(Exception error)
        => error is AggregateException aggregate ? string.Join("\n", aggregate.InnerExceptions.Select(Flatten)) : error.Message + (error.InnerException is { } inner ? "\n" + Flatten(inner) : "");

    /// <summary>The value of a setting with a default at this path, or null for lists, dictionaries and unknown paths.</summary>
    private static object? Resolve(object target, string[] path)
    {
        var current = target;
        foreach (var segment in path)
        {
            if (current is IEnumerable and not string || current.GetType().GetProperty(segment) is not { } property)
            {
                return null;
            }

            current = property.GetValue(current);
            if (current is null)
            {
                return null;
            }
        }

        return current is IEnumerable and not string ? null : current;
    }

    private static string DocumentedJson()
    {
        var doc = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        var start = doc.IndexOf("```json", doc.IndexOf("## `services.AddMcpOAuth(", StringComparison.Ordinal), StringComparison.Ordinal) + "```json".Length;
        var json = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
        // The password hash is written as a placeholder: put a real one in its place.
        return System.Text.RegularExpressions.Regex.Replace(json, "\"<McpOAuthUser\\.HashPassword.*?>\"", "\"" + McpOAuthUser.HashPassword("alice", "alice") + "\"");
    }

    private static IConfiguration Configuration(string json)
        => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    private static McpOAuthOptions Bind(string json)
    {
        var options = new McpOAuthOptions();
        Configuration(json).GetSection("McpOAuth").Bind(options, b => b.ErrorOnUnknownConfiguration = true);
        return options;
    }
}
