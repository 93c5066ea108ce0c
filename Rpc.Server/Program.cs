using Rpc.Server;
using Rpc.Server.Data;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--port"] = "Server:Port",
    ["--address"] = "Server:Address",
    ["--db"] = "Database:Path",
});
builder.Services.AddRpcServer(builder.Configuration);
builder.WebHost.ConfigureRpcKestrel(builder.Configuration);

var app = builder.Build();
await app.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
app.MapRpcEndpoints();
app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
await app.RunAsync();
