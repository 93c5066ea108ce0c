using Microsoft.Extensions.Options;
using Rpc.Server.Data;

namespace Rpc.Tests.Data;

public sealed class SnowflakeGeneratorTests
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Test]
    public void Next_ConcurrentCalls_AreUniqueAndCarryTheWorkerId()
    {
        var generator = new SnowflakeGenerator(Options.Create(new SnowflakeOptions { WorkerId = 613 }), TimeProvider.System);
        var ids = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                ids.Add(generator.Next());
            }
        });
        Assert.That(ids.Distinct().Count(), Is.EqualTo(400_000));
        Assert.That(ids.All(id => ((id >> 12) & 1023) == 613), Is.True);
        Assert.That(ids.All(id => id > 0), Is.True);
    }

    [Test]
    public void Next_FrozenClock_OverflowsSequenceIntoNextMillisecond_WithoutRepeating()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var generator = new SnowflakeGenerator(Options.Create(new SnowflakeOptions { WorkerId = 1023 }), clock);
        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.Next()).ToList();
        Assert.That(ids, Is.Ordered.Ascending);
        Assert.That(ids.Distinct().Count(), Is.EqualTo(ids.Count));
        Assert.That(ids.All(id => ((id >> 12) & 1023) == 1023), Is.True);
    }

    [Test]
    public void Next_ClockStepsBack_StaysOrdered()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var generator = new SnowflakeGenerator(Options.Create(new SnowflakeOptions()), clock);
        var before = generator.Next();
        clock.Now = clock.Now.AddSeconds(-5);
        Assert.That(generator.Next(), Is.GreaterThan(before));
    }

    [Test]
    public void TimeOf_ReturnsTheCreationTime()
    {
        var now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        var generator = new SnowflakeGenerator(Options.Create(new SnowflakeOptions()), new FixedClock(now));
        Assert.That(generator.TimeOf(generator.Next()), Is.EqualTo(now));
    }
}
