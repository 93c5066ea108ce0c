using Rpc.Bench;

if (args is ["ceiling", ..])
{
    await CeilingServer.RunAsync(args);
    return 0;
}

if (args is ["gateway", ..])
{
    var settings = BenchSettings.Parse(args[1..]);
    return await GatewayBench.RunAsync(args.Contains("--out") ? settings : settings with { Output = Path.Combine("bench", "gateway-results.md") });
}

if (args is ["abuse", ..])
{
    var settings = BenchSettings.Parse(args[1..]);
    return await AbuseBench.RunAsync(args.Contains("--out") ? settings : settings with { Output = Path.Combine("bench", "abuse-results.md") });
}

if (args is ["cluster", ..])
{
    return await ClusterBench.RunAsync(ClusterSettings.Parse(args[1..]));
}

if (args is ["postgres", ..])
{
    var settings = BenchSettings.Parse(args[1..]);
    return await PostgresBench.RunAsync(args.Contains("--out") ? settings : settings with { Output = Path.Combine("bench", "postgres-results.md") });
}

return await BenchRun.RunAsync(BenchSettings.Parse(args));
