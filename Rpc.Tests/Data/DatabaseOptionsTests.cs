using System.ComponentModel.DataAnnotations;
using Rpc.Server.Data;

namespace Rpc.Tests.Data;

public sealed class DatabaseOptionsTests
{
    private static List<ValidationResult> Validate(DatabaseOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Test]
    public void Validate_PostgresWithoutConnectionString_NamesTheSetting()
    {
        var results = Validate(new DatabaseOptions { Provider = "postgres" });
        Assert.That(results.Select(r => r.ErrorMessage), Is.EqualTo(new[] { "Database:Provider is postgres, so Database:ConnectionString must be set" }));
    }

    [TestCase("sqlite", null)]
    [TestCase("postgres", "Host=/tmp;Database=chat")]
    public void Validate_CompleteSettings_Pass(string provider, string? connectionString) =>
        Assert.That(Validate(new DatabaseOptions { Provider = provider, ConnectionString = connectionString }), Is.Empty);

    [Test]
    public void Validate_UnknownProvider_IsRefused() =>
        Assert.That(Validate(new DatabaseOptions { Provider = "mysql" }), Has.Count.EqualTo(1));
}
