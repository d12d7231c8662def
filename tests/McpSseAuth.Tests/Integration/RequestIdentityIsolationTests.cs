using System.Security.Claims;
using McpSseAuth.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;

namespace McpSseAuth.Tests.Integration;

/// <summary>
/// The attacker's case for shared token claims: an application that changes the principal of one request (a claims
/// transformation granting a role, dropping a claim) must not change what the next request of the same token is given.
/// </summary>
public sealed class RequestIdentityIsolationTests
{
    [Fact]
    public async Task AClaimsTransformationOfOneRequest_IsNotSeenByTheNextRequestOfTheSameToken()
    {
        var transformation = new MarkingTransformation();
        await using var app = new SampleApp(services: s => s.AddSingleton<IClaimsTransformation>(transformation));
        using var http = app.CreateRawClient();
        var token = (await new OAuthFlow(http).GetTokensAsync(Http.McpResource)).AccessToken;
        transformation.Seen.Clear();

        for (var i = 0; i < 3; i++)
        {
            using var response = await McpWire.PostJsonAsync(http, "/mcp", Http.InitializeBody, token);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, transformation.Seen.Count);
        Assert.All(transformation.Seen, seen =>
        {
            Assert.Contains("jti", seen);
            Assert.DoesNotContain("granted_by_app", seen);
        });
    }

    /// <summary>Notes the claim types each bearer principal arrives with, then grants a claim and drops one.</summary>
    private sealed class MarkingTransformation : IClaimsTransformation
    {
        public List<string[]> Seen { get; } = [];

        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            if (principal.Identity is ClaimsIdentity { AuthenticationType: not null } identity && identity.FindFirst("jti") is { } jti)
            {
                lock (Seen)
                {
                    Seen.Add([.. identity.Claims.Select(c => c.Type)]);
                }

                identity.AddClaim(new Claim("granted_by_app", "1"));
                identity.RemoveClaim(jti);
            }

            return Task.FromResult(principal);
        }
    }
}
