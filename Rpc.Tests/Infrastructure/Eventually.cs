namespace Rpc.Tests.Infrastructure;

/// <summary>Waits for what a server does a moment later (a close noticed, a bus message delivered) instead of sleeping a fixed time.</summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test when it has not within <paramref name="timeout"/> (10 s by default).</summary>
    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, string because = "condition never held") =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, because);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test when it has not within <paramref name="timeout"/> (10 s by default).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string because = "condition never held")
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), because);
            await Task.Delay(20);
        }
    }
}
