using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rpc.Bench;

/// <summary>
/// A minimal HTTP/1.1 keep-alive client over a raw socket: sends pre-encoded request bytes and reads
/// one response by its Content-Length into a reused buffer. Far cheaper per request than HttpClient,
/// so the driver leaves the cores to the server it measures.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] ContentLengthHeader = "\r\ncontent-length: "u8.ToArray();
    private readonly Socket socket;
    private byte[] buffer = new byte[16 * 1024];

    private RawHttpConnection(Socket socket) => this.socket = socket;

    /// <summary>The body of the last response; valid until the next request.</summary>
    public ReadOnlyMemory<byte> Body { get; private set; }

    public int Status { get; private set; }

    /// <summary>
    /// Connects to <paramref name="endpoint"/>, from <paramref name="source"/> when given: Linux routes all of
    /// 127.0.0.0/8 to loopback, so the bench plays several client addresses (127.0.0.2, 127.0.0.3, …) on one machine.
    /// </summary>
    public static async Task<RawHttpConnection> ConnectAsync(IPEndPoint endpoint, IPAddress? source = null)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (source is not null)
        {
            socket.Bind(new IPEndPoint(source, 0));
        }

        await socket.ConnectAsync(endpoint).ConfigureAwait(false);
        return new RawHttpConnection(socket);
    }

    /// <summary>POST /rpc with <paramref name="body"/>, encoded once for every request that sends it.</summary>
    public static byte[] EncodePost(IPEndPoint endpoint, string path, string body, string? bearer = null)
    {
        var content = Encoding.UTF8.GetBytes(body);
        var authorization = bearer is null ? "" : $"Authorization: Bearer {bearer}\r\n";
        var head = Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: {endpoint}\r\nContent-Type: application/json\r\n{authorization}Content-Length: {content.Length}\r\n\r\n");
        return [.. head, .. content];
    }

    /// <summary>
    /// As <see cref="ConnectAsync"/>, with blocking calls: for a measuring client on a thread of its own, whose
    /// timings must not include waits for the bench's thread pool (busy with the attacker's loops).
    /// </summary>
    public static RawHttpConnection Connect(IPEndPoint endpoint, IPAddress? source = null)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (source is not null)
        {
            socket.Bind(new IPEndPoint(source, 0));
        }

        socket.Connect(endpoint);
        return new RawHttpConnection(socket);
    }

    /// <summary>As <see cref="SendAsync"/>, with blocking calls (see <see cref="Connect"/>).</summary>
    public void Send(byte[] request)
    {
        socket.Send(request, SocketFlags.None);
        // With blocking calls the read never awaits: the ValueTask is already complete.
        var received = Receive(blocking: true);
        System.Diagnostics.Debug.Assert(received.IsCompleted);
        received.GetAwaiter().GetResult();
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> request)
    {
        await socket.SendAsync(request, SocketFlags.None).ConfigureAwait(false);
        await Receive(blocking: false).ConfigureAwait(false);
    }

    private async ValueTask Receive(bool blocking)
    {
        var read = 0;
        var bodyStart = -1;
        var length = 0;
        while (true)
        {
            if (read == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var n = blocking ? socket.Receive(buffer.AsSpan(read), SocketFlags.None) : await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the server closed the connection");
            }

            read += n;
            if (bodyStart < 0)
            {
                var end = buffer.AsSpan(0, read).IndexOf(HeaderEnd);
                if (end < 0)
                {
                    continue;
                }

                bodyStart = end + HeaderEnd.Length;
                var head = buffer.AsSpan(0, bodyStart);
                // "HTTP/1.1 200 OK": the status is bytes 9-11.
                Utf8Parser.TryParse(head[9..12], out int status, out _);
                Status = status;
                length = ContentLength(head);
            }

            if (read >= bodyStart + length)
            {
                Body = buffer.AsMemory(bodyStart, length);
                return;
            }
        }
    }

    private static int ContentLength(ReadOnlySpan<byte> head)
    {
        Span<byte> lower = stackalloc byte[head.Length];
        for (var i = 0; i < head.Length; i++)
        {
            lower[i] = head[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(head[i] + 32) : head[i];
        }

        var at = lower.IndexOf(ContentLengthHeader);
        if (at < 0)
        {
            return 0;
        }

        Utf8Parser.TryParse(head[(at + ContentLengthHeader.Length)..], out int length, out _);
        return length;
    }

    public void Dispose() => socket.Dispose();
}
