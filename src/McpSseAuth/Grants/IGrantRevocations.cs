namespace McpSseAuth.Grants;

/// <summary>Revoked grants: their refresh tokens are refused and their access tokens stop working at once.</summary>
internal interface IGrantRevocations
{
    ValueTask<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken);
}
