namespace Rpc.Server.Data;

/// <summary>The database keeps instants as Unix milliseconds (BIGINT columns): "now" in that unit, from the injected clock.</summary>
public static class UnixClock
{
    /// <summary>The current instant of <paramref name="clock"/> in Unix milliseconds.</summary>
    public static long NowMilliseconds(this TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
