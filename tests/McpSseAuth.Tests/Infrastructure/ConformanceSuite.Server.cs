namespace McpSseAuth.Tests.Infrastructure;

public static partial class ConformanceSuite
{
    /// <summary>Runs one server scenario (<c>conformance server --scenario</c>) against the MCP endpoint <paramref name="url"/>.</summary>
    public static async Task<Result> RunServerScenarioAsync(string url, string scenario)
    {
        EnsureInstalled();
        var outputDir = Directory.CreateTempSubdirectory("conformance-server-");
        try
        {
            var (exitCode, stdout, stderr) = await RunToEndAsync(["server", "--url", url, "--scenario", scenario, "-o", outputDir.FullName]);
            return new Result(exitCode, [scenario], ReadChecks(outputDir.FullName), stdout, stderr);
        }
        finally
        {
            try
            {
                outputDir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
