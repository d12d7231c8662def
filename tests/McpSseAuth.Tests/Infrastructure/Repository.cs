namespace McpSseAuth.Tests.Infrastructure;

/// <summary>Finds files of the repository from the test's output folder.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "McpSseAuth.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("McpSseAuth.sln not found above " + AppContext.BaseDirectory);
    }
}
