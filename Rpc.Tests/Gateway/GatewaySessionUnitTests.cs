using Rpc.Server.Gateway;
using Rpc.Server.Security;

namespace Rpc.Tests.Gateway;

/// <summary>The ordering rules of one gateway session, without a server.</summary>
public sealed class GatewaySessionUnitTests
{
    private sealed class RecordingConnection : IGatewayConnection
    {
        public List<string> Frames { get; } = [];

        public int? ClosedWith { get; private set; }

        public bool TrySend(byte[] frame)
        {
            Frames.Add(System.Text.Encoding.UTF8.GetString(frame));
            return true;
        }

        public void Close(int code, string reason, bool discardQueued) => ClosedWith = code;
    }

    private static GatewaySession NewSession() => new("s", "token", new Caller(1, 2, 0), 10, TimeProvider.System);

    [Test]
    public void EventsBeforeStart_WaitAndFollowReady_WhichIsSequenceOne()
    {
        var session = NewSession();
        session.Deliver(new EventFrame("EARLY", new { n = 1 }));
        var connection = new RecordingConnection();
        Assert.That(session.Start(connection, new EventFrame("READY", new { n = 0 })), Is.True);
        Assert.That(connection.Frames, Has.Count.EqualTo(2));
        Assert.That(connection.Frames[0], Does.Contain("\"t\":\"READY\",\"s\":1"));
        Assert.That(connection.Frames[1], Does.Contain("\"t\":\"EARLY\",\"s\":2"));
    }

    [Test]
    public void SessionEndedWhileStarting_DoesNotStart()
    {
        var session = NewSession();
        Assert.That(session.TakeConnection(), Is.Null);
        var connection = new RecordingConnection();
        Assert.That(session.Start(connection, new EventFrame("READY", new { n = 0 })), Is.False);
        Assert.That(connection.Frames, Is.Empty);
        Assert.That(session.IsAttached, Is.False);
    }

    [Test]
    public void Resume_SeqAhead_ChangesNothing_TakeoverReturnsThePreviousConnection()
    {
        var session = NewSession();
        var first = new RecordingConnection();
        session.Start(first, new EventFrame("READY", new { n = 0 }));
        var second = new RecordingConnection();
        Assert.That(session.Resume(second, 5, n => new EventFrame("RESUMED", new { n }), out _, out _), Is.EqualTo(ResumeOutcome.SeqAhead));
        Assert.That(second.Frames, Is.Empty);
        Assert.That(session.Resume(second, 1, n => new EventFrame("RESUMED", new { n }), out var replayed, out var previous), Is.EqualTo(ResumeOutcome.Resumed));
        Assert.That(replayed, Is.Zero);
        Assert.That(previous, Is.SameAs(first));
        Assert.That(second.Frames.Single(), Does.Contain("\"t\":\"RESUMED\",\"s\":2"));
    }
}
