using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;

namespace McpSseAuth.Pages;

/// <summary>
/// A configurable text with <c>{0}</c>, <c>{1}</c>, ... filled with rendered parts: the text's words and each part go
/// through the renderer, so nothing is ever markup that was not written as such here.
/// </summary>
internal static partial class Sentences
{
    public static RenderFragment Fill(string format, params RenderFragment[] parts) => builder =>
    {
        var position = 0;
        foreach (Match hole in Hole().Matches(format))
        {
            var index = int.Parse(hole.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
            if (index >= parts.Length)
            {
                continue;
            }

            builder.AddContent(0, format[position..hole.Index]);
            builder.AddContent(1, parts[index]);
            position = hole.Index + hole.Length;
        }

        builder.AddContent(2, format[position..]);
    };

    /// <summary>A text with its holes filled by plain values, for attributes and link texts.</summary>
    public static string Format(string format, params string[] values)
        => Hole().Replace(format, hole => int.Parse(hole.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) is var i && i < values.Length ? values[i] : hole.Value);

    /// <summary>A value in bold.</summary>
    public static RenderFragment Strong(string value) => builder =>
    {
        builder.OpenElement(0, "strong");
        builder.AddContent(1, value);
        builder.CloseElement();
    };

    /// <summary>A value as it is.</summary>
    public static RenderFragment Plain(string value) => builder => builder.AddContent(0, value);

    /// <summary>A link.</summary>
    public static RenderFragment Link(string href, string text) => builder =>
    {
        builder.OpenElement(0, "a");
        builder.AddAttribute(1, "href", href);
        builder.AddContent(2, text);
        builder.CloseElement();
    };

    /// <summary>A link out of this server that tells the target nothing about where the user came from.</summary>
    public static RenderFragment ExternalLink(string href, string text) => builder =>
    {
        builder.OpenElement(0, "a");
        builder.AddAttribute(1, "href", href);
        builder.AddAttribute(2, "rel", "noreferrer");
        builder.AddContent(3, text);
        builder.CloseElement();
    };

    /// <summary>A value as code.</summary>
    public static RenderFragment Code(string value) => builder =>
    {
        builder.OpenElement(0, "code");
        builder.AddContent(1, value);
        builder.CloseElement();
    };

    [GeneratedRegex(@"\{(\d{1,2})\}")]
    private static partial Regex Hole();
}
