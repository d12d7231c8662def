using System.Net;
using McpSseAuth.Http;
using Microsoft.AspNetCore.Http;

namespace McpSseAuth.Tests.Unit;

/// <summary>Per-address limits count an IPv6 client by its /64 network, so rotating through one's own addresses gains nothing.</summary>
public sealed class RateLimitsTests
{
    private static string Key(string? address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = address is null ? null : IPAddress.Parse(address);
        return RateLimits.AddressKey(context);
    }

    [Fact]
    public void AddressKey_Ipv6_IsTheSlash64()
    {
        Assert.Equal(Key("2001:db8:1:2:aaaa::1"), Key("2001:db8:1:2:ffff:eeee:dddd:cccc"));
        Assert.NotEqual(Key("2001:db8:1:2::1"), Key("2001:db8:1:3::1"));
    }

    [Fact]
    public void AddressKey_Ipv4_IsTheAddress_MappedOrNot()
    {
        Assert.Equal("203.0.113.7", Key("203.0.113.7"));
        Assert.Equal("203.0.113.7", Key("::ffff:203.0.113.7"));
        Assert.NotEqual(Key("203.0.113.7"), Key("203.0.113.8"));
        Assert.Equal("unknown", Key(null));
    }
}
