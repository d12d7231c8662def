namespace McpSseAuth.Grants;

internal enum RefreshState
{
    Unknown,
    Live,
    Spent,
}
