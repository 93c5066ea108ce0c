using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Features;

namespace Rpc.Server.Transport;

/// <summary>
/// The upgraded connection under a WebSocket, buffering what the WebSocket writes while its writer is
/// corked (<see cref="Cork"/>) and writing it in one go at <see cref="UncorkAsync"/>: a writer with several
/// frames queued sends them in one system call instead of one each, as Node's <c>ws</c> does. Measured on
/// this kind of machine a Kestrel WebSocket spent about 1.6 times Node's CPU per message, most of it in a
/// write and a flush per frame. Uncorked, writes go straight through (pings and pongs between bursts).
/// </summary>
public sealed class CoalescingWriteStream(Stream inner) : Stream
{
    /// <summary>Bytes kept before they are written anyway, so a burst of large frames is not copied whole.</summary>
    public const int Capacity = 64 * 1024;

    private readonly SemaphoreSlim gate = new(1, 1);
    private byte[]? buffer;
    private int length;
    private volatile bool corked;

    /// <summary>Whether this stream carried a WebSocket's upgraded connection (set by <see cref="CoalescingUpgradeFeature"/>).</summary>
    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Later writes are kept until <see cref="UncorkAsync"/> (or until <see cref="Capacity"/> bytes wait).</summary>
    public void Cork() => corked = true;

    /// <summary>Writes what the writes since <see cref="Cork"/> left waiting, and lets later writes through.</summary>
    public async ValueTask UncorkAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            corked = false;
            await DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // As the WebSocket reports a failed write, so its writer handles both alike.
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, e);
        }
        finally
        {
            gate.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (corked)
            {
                if (length + source.Length > Capacity)
                {
                    await DrainAsync(cancellationToken).ConfigureAwait(false);
                }

                if (source.Length <= Capacity)
                {
                    buffer ??= new byte[Capacity];
                    source.Span.CopyTo(buffer.AsSpan(length));
                    length += source.Length;
                    return;
                }
            }
            else
            {
                await DrainAsync(cancellationToken).ConfigureAwait(false);
            }

            await inner.WriteAsync(source, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    public override Task WriteAsync(byte[] source, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(source.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] source, int offset, int count) => WriteAsync(source.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!corked)
            {
                await DrainAsync(cancellationToken).ConfigureAwait(false);
                await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default) => inner.ReadAsync(destination, cancellationToken);

    public override Task<int> ReadAsync(byte[] destination, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(destination, offset, count, cancellationToken);

    public override int Read(byte[] destination, int offset, int count) => inner.Read(destination, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        if (length > 0)
        {
            var count = length;
            length = 0;
            await inner.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Hands the WebSocket middleware a <see cref="CoalescingWriteStream"/> over the upgraded connection, and keeps
/// it for the endpoint (<see cref="Stream"/>). Installed before <c>UseWebSockets</c> (<see cref="Install"/>).
/// </summary>
public sealed class CoalescingUpgradeFeature(IHttpUpgradeFeature upgrade) : IHttpUpgradeFeature
{
    /// <summary>The upgraded connection, once upgraded.</summary>
    public CoalescingWriteStream? Stream { get; private set; }

    public bool IsUpgradableRequest => upgrade.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        Stream = new CoalescingWriteStream(await upgrade.UpgradeAsync().ConfigureAwait(false));
        return Stream;
    }

    /// <summary>Whether the request asks for a WebSocket: an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT.</summary>
    public static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        || context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true };

    /// <summary>Middleware: wraps the upgrade of every request that may upgrade.</summary>
    public static Task Install(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            var feature = new CoalescingUpgradeFeature(upgrade);
            context.Features.Set<IHttpUpgradeFeature>(feature);
            context.Features.Set(feature);
        }

        return next(context);
    }
}
