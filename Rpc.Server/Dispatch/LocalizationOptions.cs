using System.ComponentModel.DataAnnotations;

namespace Rpc.Server.Dispatch;

/// <summary>The language of error messages (configuration section <c>Localization</c>).</summary>
public sealed class LocalizationOptions : IValidatableObject
{
    public const string Section = "Localization";

    /// <summary>
    /// The language for clients that send neither <c>?lang=</c> nor an <c>Accept-Language</c> naming a
    /// supported one: <c>en</c>, <c>fr</c>, <c>tr</c> or <c>zh-Hans</c> (<c>zh-CN</c> and the like map to it). Default <c>en</c>.
    /// </summary>
    public string DefaultLanguage { get; set; } = "en";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LanguageNegotiator.Match(DefaultLanguage) is null)
        {
            yield return new ValidationResult(
                $"Localization:DefaultLanguage '{DefaultLanguage}' is not a supported language ({string.Join(", ", LanguageNegotiator.Supported)})",
                [nameof(DefaultLanguage)]);
        }
    }
}
