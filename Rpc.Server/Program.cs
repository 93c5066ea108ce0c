using Microsoft.Extensions.Options;
using Rpc.Server;
using Rpc.Server.Data;
using Rpc.Server.Management;

if (args is [ManageCommand.Verb, ..])
{
    Environment.ExitCode = await ManageCommand.RunAsync(args[1..], Console.Out, Console.Error);
    return;
}

if (args is [DocsCommand.Verb, ..])
{
    Environment.ExitCode = await DocsCommand.RunAsync(args[1..], Console.Out, Console.Error);
    return;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
ServerCommandLine.AddTo(builder.Configuration, args);
// Under systemd (Type=notify): tells it when the server is ready and stopping, and logs in its format.
builder.Services.AddSystemd();
builder.Services.AddRpcServer(builder.Configuration);
builder.WebHost.ConfigureRpcKestrel(builder.Configuration);

var app = builder.Build();
try
{
    app.Logger.LogInformation("Starting the JSON-RPC server {Version}", Rpc.Server.Operations.ServerVersion.Informational);
    await app.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
    app.MapRpcEndpoints();
    app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
    await app.RunAsync();
}
catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or System.Data.Common.DbException or TimeoutException)
{
    // A setting or the database is wrong: say which in one line rather than with a stack trace.
    Console.Error.WriteLine($"rpc server: cannot start: {e.Message}");
    Environment.ExitCode = 1;
}
