namespace McpSseAuth.Grants;

/// <summary>
/// The one answer of a refresh token's rotation, as kept for its retries: the token response sealed with the spent handle
/// (which the store never holds) and the storage key of the successor it hands out, so a retry can make sure that
/// successor exists before answering with it.
/// </summary>
/// <param name="Sealed">The sealed response.</param>
/// <param name="SuccessorKey">The successor's key; null in an answer kept by an earlier version.</param>
internal sealed record RotationAnswer(string Sealed, string? SuccessorKey);
