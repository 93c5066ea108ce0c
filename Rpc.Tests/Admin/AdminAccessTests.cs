using System.Text.Json;
using Rpc.Contracts.Protocol;
using Rpc.Server.Dispatch;
using Rpc.Tests.Infrastructure;

namespace Rpc.Tests.Admin;

/// <summary>Every <c>admin.*</c> method, found in the method table (so methods added later are covered too), is staff-only.</summary>
public sealed class AdminAccessTests
{
    private static RpcTestServer Server => SharedServer.Instance;

    private static IEnumerable<RpcMethod> AdminMethods() =>
        Server.Get<RpcMethodTable>().All.Where(m => m.Name.StartsWith("admin.", StringComparison.Ordinal)).OrderBy(m => m.Name, StringComparer.Ordinal);

    [Test]
    public void AdminMethods_AreAllDeclaredStaffOnly()
    {
        var methods = AdminMethods().ToList();
        Assert.That(methods, Has.Count.GreaterThanOrEqualTo(12));
        Assert.That(methods.Where(m => m.Access != RpcAccess.Staff).Select(m => m.Name), Is.Empty);
    }

    [Test]
    public async Task EveryAdminMethod_WithoutToken_AsUser_AsStaff_IsGuardedByTheStaffFlag()
    {
        var user = await Server.NewUserAsync();
        var staff = await Server.NewStaffAsync();
        foreach (var method in AdminMethods())
        {
            var anonymous = await Server.ErrorAsync(method.Name);
            Assert.That(anonymous.GetProperty("code").GetInt32(), Is.EqualTo(-32603), method.Name);
            Assert.That(anonymous.GetProperty("data").GetString(), Is.EqualTo(ErrorData.AuthenticationRequired), method.Name);

            var asUser = await Server.ErrorAsync(method.Name, token: user.Token);
            Assert.That(asUser.GetProperty("data").GetString(), Is.EqualTo(ErrorData.StaffOnly), method.Name);

            // Staff pass the guard: with no params the call fails on its params (or succeeds), never on access.
            var asStaff = await Server.CallAsync(method.Name, token: staff.Token);
            if (asStaff.TryGetProperty("error", out var error))
            {
                var data = error.GetProperty("data").ValueKind == JsonValueKind.String ? error.GetProperty("data").GetString() : null;
                Assert.That(data, Is.Not.EqualTo(ErrorData.StaffOnly).And.Not.EqualTo(ErrorData.AuthenticationRequired), method.Name);
                Assert.That(data, Does.Not.StartWith("unexpected server error"), method.Name);
            }
        }
    }

    [Test]
    public async Task StaffFlag_IsReadOnEveryCall_SoRemovingItTakesEffectAtOnce()
    {
        var staff = await Server.NewStaffAsync();
        await Server.ResultAsync("admin.invites.list", new { }, staff.Token);
        await Server.Get<Rpc.Server.Services.StaffRoster>().SetStaffAsync(staff.Username, false, CancellationToken.None);
        var error = await Server.ErrorAsync("admin.invites.list", new { }, staff.Token);
        Assert.That(error.GetProperty("data").GetString(), Is.EqualTo(ErrorData.StaffOnly));
    }

    [Test]
    public async Task AdminMethod_OverWebSocket_AsUserIsRefused_AsStaffAnswers()
    {
        var user = await Server.NewUserAsync();
        var staff = await Server.NewStaffAsync();
        await using var ws = await WsClient.ConnectAsync(Server.WebSocketUri);
        var refused = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"admin.invites.list","auth":"{{user.Token}}","id":1}""");
        Assert.That(refused.GetProperty("error").GetProperty("data").GetString(), Is.EqualTo(ErrorData.StaffOnly));
        var answered = await ws.CallAsync($$"""{"jsonrpc":"2.0","method":"admin.invites.list","auth":"{{staff.Token}}","id":2}""");
        Assert.That(answered.GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.Array));
    }
}
