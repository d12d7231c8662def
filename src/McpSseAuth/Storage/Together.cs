namespace McpSseAuth.Storage;

/// <summary>
/// Storage calls of one request that do not depend on each other, started together and awaited together. A storage that
/// queues its work (SQLite's threads, Redis's connection) answers them in one round — writes in one commit — where one
/// after the other each would wait its own; the request resumes once instead of once per call.
/// Both are always awaited, whatever happens to the first: nothing of a request runs on after its answer, and no failure
/// goes unobserved. When both fail, the second's error is the one thrown.
/// </summary>
internal static class Together
{
    public static async ValueTask AwaitAsync(ValueTask first, ValueTask second)
    {
        try
        {
            await first;
        }
        finally
        {
            await second;
        }
    }

    public static async ValueTask<T> AwaitAsync<T>(ValueTask first, ValueTask<T> second)
    {
        T result;
        try
        {
            await first;
        }
        finally
        {
            result = await second;
        }

        return result;
    }

    public static async ValueTask<(T1 First, T2 Second)> AwaitAsync<T1, T2>(ValueTask<T1> first, ValueTask<T2> second)
    {
        T1 one;
        T2 two;
        try
        {
            one = await first;
        }
        finally
        {
            two = await second;
        }

        return (one, two);
    }
}
