using Rpc.Server.Dispatch;
using Rpc.Server.Services;
using Rpc.Server.Errors;

namespace Rpc.Tests.Services;

/// <summary>Seed 002's expiry dates: strict UTC parsing, the permanent sentinel, whole seconds.</summary>
public sealed class ExpiryDatesTests
{
    private static readonly DateTimeOffset Now = new(2030, 6, 15, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Parse_ValidDate_IsUtcUnixMilliseconds_AndFormatsBack()
    {
        var ms = ExpiryDates.Parse("2032-02-29 23:59:59", Now);
        Assert.That(ms, Is.EqualTo(new DateTimeOffset(2032, 2, 29, 23, 59, 59, TimeSpan.Zero).ToUnixTimeMilliseconds()));
        Assert.That(ExpiryDates.Format(ms), Is.EqualTo("2032-02-29 23:59:59"));
    }

    [Test]
    public void Parse_PermanentOrNull_IsNull_AndNullFormatsAsTheSeedSentinel()
    {
        Assert.That(ExpiryDates.Parse(null, Now), Is.Null);
        Assert.That(ExpiryDates.Parse("1000-01-01 00:00:00", Now), Is.Null);
        Assert.That(ExpiryDates.Format(null), Is.EqualTo("1000-01-01 00:00:00"));
    }

    [Test]
    public void Parse_OneSecondAfterNow_IsAccepted_NowIsNot()
    {
        Assert.That(ExpiryDates.Parse("2030-06-15 12:00:01", Now), Is.EqualTo(Now.AddSeconds(1).ToUnixTimeMilliseconds()));
        var error = Assert.Throws<ServiceException>(() => ExpiryDates.Parse("2030-06-15 12:00:00", Now));
        Assert.That(error!.ErrorData, Is.EqualTo("expiryDate must be in the future"));
    }

    [TestCase("2031-02-29 00:00:00")]
    [TestCase("2031-13-01 00:00:00")]
    [TestCase("2031-01-01 00:60:00")]
    [TestCase("2031-01-01 00:00:60")]
    [TestCase("٢٠٣١-01-01 00:00:00")]
    [TestCase("2031-01-01  00:00:00")]
    [TestCase("2031-01-01 00:00:00.5")]
    public void Parse_NotAStrictUtcDate_IsRefused(string text)
    {
        var error = Assert.Throws<ServiceException>(() => ExpiryDates.Parse(text, Now));
        Assert.That(error!.ErrorData, Is.EqualTo("expiryDate must be a UTC date and time as YYYY-MM-DD HH:MM:SS"));
    }
}
