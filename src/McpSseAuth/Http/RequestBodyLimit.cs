using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace McpSseAuth.Http;

/// <summary>Caps a request body before it is read: a declared length over the cap is refused at once, a streamed one when it passes it.</summary>
internal static class RequestBodyLimit
{
    public static OAuthError? Apply(HttpContext context, int maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return OAuthError.PayloadTooLarge($"The request body must not exceed {maxBytes} bytes.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = maxBytes;
        }

        return null;
    }
}
