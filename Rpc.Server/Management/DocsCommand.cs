using System.Text.Json;
using Rpc.Server.Dispatch.OpenRpc;

namespace Rpc.Server.Management;

/// <summary>
/// <c>Rpc.Server docs TEMPLATE METHODS_MD [OPENRPC_JSON]</c> (<c>./run.sh docs</c>): writes methods.md from its
/// template and the OpenRPC document, and optionally the document itself. Builds the server's services
/// without starting it, so no database or port is touched.
/// </summary>
public static class DocsCommand
{
    public const string Verb = "docs";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length is < 2 or > 3)
        {
            await error.WriteLineAsync("usage: docs TEMPLATE METHODS_MD [OPENRPC_JSON]").ConfigureAwait(false);
            return 2;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddRpcServer(builder.Configuration);
        await using var app = builder.Build();
        var document = app.Services.GetRequiredService<OpenRpcDocument>();
        try
        {
            var markdown = MethodsMarkdown.Render(await File.ReadAllTextAsync(args[0]).ConfigureAwait(false), document.Json);
            await File.WriteAllTextAsync(args[1], markdown).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"docs: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        if (args.Length == 3)
        {
            await File.WriteAllTextAsync(args[2], document.Json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n").ConfigureAwait(false);
        }

        await output.WriteLineAsync($"wrote {args[1]}{(args.Length == 3 ? " and " + args[2] : "")}").ConfigureAwait(false);
        return 0;
    }
}
