using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Options;

namespace McpSseAuth.Redis;

/// <summary>What <c>AddMcpOAuthRedis</c> was given, after validation; a later call replaces it.</summary>
internal sealed record RedisSettings(string KeyPrefix, string ApplicationName, bool PersistDataProtectionKeys)
{
    /// <summary>The Redis list holding the Data Protection key ring.</summary>
    public string DataProtectionKey => KeyPrefix + "dataprotection-keys";
}

/// <summary>
/// The Data Protection key ring in Redis through the framework's <see cref="RedisXmlRepository"/>, and the shared application
/// name: what <c>SetApplicationName(...).PersistKeysToStackExchangeRedis(...)</c> do, but as one registered type, so the
/// multiplexer comes from the container (connected on first use) and a second <c>AddMcpOAuthRedis</c> replaces the first
/// instead of adding to it.
/// </summary>
internal sealed class RedisDataProtectionSetup(RedisConnection connection, RedisSettings settings)
    : IConfigureOptions<DataProtectionOptions>, IConfigureOptions<KeyManagementOptions>
{
    public void Configure(DataProtectionOptions options) => options.ApplicationDiscriminator = settings.ApplicationName;

    public void Configure(KeyManagementOptions options) =>
        options.XmlRepository = new Faulting(new RedisXmlRepository(() => connection.Multiplexer.GetDatabase(), settings.DataProtectionKey));

    /// <summary>The framework's repository, with Redis faults told as <see cref="McpSseAuth.Storage.McpStorageUnavailableException"/> (503, not 500).</summary>
    private sealed class Faulting(Microsoft.AspNetCore.DataProtection.Repositories.IXmlRepository inner) : Microsoft.AspNetCore.DataProtection.Repositories.IXmlRepository
    {
        public IReadOnlyCollection<System.Xml.Linq.XElement> GetAllElements()
        {
            try
            {
                return inner.GetAllElements();
            }
            catch (Exception e) when (RedisFaults.IsUnavailable(e))
            {
                throw RedisFaults.Unavailable("read of the Data Protection keys", e);
            }
        }

        public void StoreElement(System.Xml.Linq.XElement element, string friendlyName)
        {
            try
            {
                inner.StoreElement(element, friendlyName);
            }
            catch (Exception e) when (RedisFaults.IsUnavailable(e))
            {
                throw RedisFaults.Unavailable("write of a Data Protection key", e);
            }
        }
    }
}
