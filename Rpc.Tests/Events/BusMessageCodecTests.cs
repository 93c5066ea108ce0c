using System.Text.Json;
using Rpc.Server.Events;

namespace Rpc.Tests.Events;

/// <summary>What one server sends another over the PostgreSQL bus reads back as the same message.</summary>
public sealed class BusMessageCodecTests
{
    private static readonly Guid Node = Guid.NewGuid();

    public static IEnumerable<BusMessage> Messages() =>
    [
        new CloseConnections(12, 34, 4004, "session revoked"),
        new CloseConnections(12, null, 4005, "account deleted"),
        new UsernamesChanged(),
        new LoginCharge(Guid.NewGuid(), "pair", "account", "10.0.0.1", true),
        new CreateCharge(Guid.NewGuid(), "10.0.0.2"),
    ];

    [TestCaseSource(nameof(Messages))]
    public void Decode_OfEncode_IsTheSameMessage(BusMessage message)
    {
        var (node, decoded) = BusMessageCodec.Decode(BusMessageCodec.Encode(message, Node));
        Assert.That(node, Is.EqualTo(Node));
        Assert.That(decoded, Is.EqualTo(message));
    }

    public static IEnumerable<EventAudience> Audiences() =>
        [new EventAudience.GuildMembers(5), new EventAudience.UserAndObservers(6), new EventAudience.Observers(7), new EventAudience.Staff()];

    [TestCaseSource(nameof(Audiences))]
    public void Decode_OfAnEvent_KeepsItsAudience(EventAudience audience)
    {
        var decoded = (DispatchEvent)BusMessageCodec.Decode(BusMessageCodec.Encode(new DispatchEvent("TEST", new { n = 1 }, audience), Node)).Message;
        Assert.That(decoded.Audience, Is.EqualTo(audience));
    }

    [Test]
    public void Decode_OfAnEvent_KeepsItsNameUsersAndPayloadInTheApiConventions()
    {
        var text = BusMessageCodec.Encode(new DispatchEvent("USER_UPDATE", new { UserId = 123L, DisplayName = "Ünïcode <b>" }, new EventAudience.Users([1, 2])), Node);
        var decoded = (DispatchEvent)BusMessageCodec.Decode(text).Message;
        Assert.That(decoded.Name, Is.EqualTo("USER_UPDATE"));
        Assert.That(((EventAudience.Users)decoded.Audience).UserIds, Is.EqualTo(new long[] { 1, 2 }));
        var payload = (JsonElement)decoded.Payload;
        Assert.That(payload.GetProperty("user_id").GetString(), Is.EqualTo("123"));
        Assert.That(payload.GetProperty("display_name").GetString(), Is.EqualTo("Ünïcode <b>"));
    }

    [Test]
    public void Decode_UnknownKind_Throws()
    {
        var text = $$$"""{"node":"{{{Node}}}","message":{"$type":"nothing_known"}}""";
        Assert.That(() => BusMessageCodec.Decode(text), Throws.InstanceOf<JsonException>().Or.InstanceOf<NotSupportedException>());
    }
}
