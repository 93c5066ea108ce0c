using Rpc.Bench;

if (args is ["ceiling", ..])
{
    await CeilingServer.RunAsync(args);
    return 0;
}

return await BenchRun.RunAsync(BenchSettings.Parse(args));
