using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rpc.Server.Operations;
using Rpc.Server.Data;
using Rpc.Server.Gateway;
using Rpc.Server.Transport;

namespace Rpc.Server;

/// <summary>
/// What an operator runs the server with: forwarded headers from trusted proxies, health checks,
/// metrics, traces, CORS and the graceful shutdown. Registered by <see cref="ServerComposition"/>.
/// </summary>
public static class OperationsComposition
{
    /// <summary>The meters exported besides the server's own: the .NET runtime and Kestrel's connections.</summary>
    private static readonly string[] PlatformMeters = ["System.Runtime", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>ASP.NET Core's per-request meter, exported when <see cref="MetricsOptions.HttpRequests"/> is on.</summary>
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";

    public static IServiceCollection AddRpcOperations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.Section))
            .Validate(o => o.AllowedNetworks.All(NetworkList.IsValid), "Metrics:AllowedNetworks: every entry must be an IP address or a CIDR range such as 10.0.0.0/8")
            .ValidateOnStart();
        services.AddOptions<TelemetryOptions>().Bind(configuration.GetSection(TelemetryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        var server = configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = server.DrainTime);
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies are believed (ASP.NET Core trusts loopback by default), and a chain
            // of them is walked back to the first address none of them vouches for.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            o.ForwardLimit = null;
            foreach (var network in NetworkList.Parse(server.TrustedProxies.Where(NetworkList.IsValid)))
            {
                o.KnownIPNetworks.Add(network);
            }
        });

        services.AddSingleton<SecurityLog>();
        services.AddSingleton<OpenWebSockets>();
        services.AddSingleton<OriginPolicy>();
        services.AddCors(o => o.AddPolicy(OriginPolicy.CorsPolicyName, policy =>
        {
            var origins = server.AllowedOrigins.Select(x => x.Trim().TrimEnd('/')).ToArray();
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(origins);
            }

            policy.WithMethods("POST").WithHeaders("Content-Type", "Authorization", "Accept-Language").SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));

        var checks = services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<MigrationsHealthCheck>("migrations", tags: ["ready"]);
        if (configuration.GetSection(DatabaseOptions.Section)[nameof(DatabaseOptions.Provider)] == "postgres")
        {
            checks.AddCheck<EventBusHealthCheck>("bus", tags: ["ready"]);
        }

        var telemetry = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var metricsOptions = configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        var otlp = telemetry.OtlpEndpoint is { Length: > 0 } || configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 };
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("rpc-server", serviceVersion: ServerVersion.Informational))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ServerMetrics.MeterName).AddMeter(PlatformMeters).AddPrometheusExporter();
                if (metricsOptions.HttpRequests)
                {
                    metrics.AddMeter(HostingMeter);
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter(o => ConfigureOtlp(o, telemetry, "v1/metrics"));
                }
            })
            .WithTracing(tracing =>
            {
                // Spans are recorded only when they go somewhere: a span nobody exports cost every call about a
                // microsecond and 600 bytes (issue #18). Without one, a correlation id is a random id the log repeats.
                if (otlp)
                {
                    tracing.AddSource(CallTelemetry.SourceName).AddSource("Microsoft.AspNetCore").AddOtlpExporter(o => ConfigureOtlp(o, telemetry, "v1/traces"));
                }
            });
        return services;
    }

    /// <summary>Telemetry:OtlpEndpoint, when set, wins over the OTEL_* environment variables the exporter reads itself.</summary>
    private static void ConfigureOtlp(OtlpExporterOptions options, TelemetryOptions telemetry, string signalPath)
    {
        if (telemetry.OtlpEndpoint is { Length: > 0 } endpoint)
        {
            options.Protocol = telemetry.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            var baseUri = new Uri(endpoint.TrimEnd('/') + "/");
            // Over http/protobuf an endpoint set in code is used as is, so it needs the signal's path; over grpc it must not have one.
            options.Endpoint = options.Protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(baseUri, signalPath) : new Uri(endpoint);
        }
    }

    /// <summary>The client address and scheme from <c>X-Forwarded-*</c>, believed only from <c>Server:TrustedProxies</c>; first in the pipeline.</summary>
    public static WebApplication UseTrustedProxyHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.TrustedProxies.Length > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>Metrics (to the allowed networks only), health endpoints and the shutdown of WebSockets.</summary>
    public static WebApplication UseRpcOperations(this WebApplication app)
    {
        var allowed = NetworkList.Parse(app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.EffectiveAllowedNetworks);
        app.UseWhen(
            context => context.Request.Path == "/metrics" && !NetworkList.Contains(allowed, context.Connection.RemoteIpAddress),
            refused => refused.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return context.Response.WriteAsync("metrics are served to Metrics:AllowedNetworks only\n");
            }));
        app.UseOpenTelemetryPrometheusScrapingEndpoint();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync });

        var sockets = app.Services.GetRequiredService<OpenWebSockets>();
        // Before Kestrel stops: HTTP calls in flight finish under Kestrel's drain, WebSockets answer their
        // running requests and then close with 1012; Server:ShutdownSeconds bounds the whole.
        app.Lifetime.ApplicationStopping.Register(sockets.CloseAll);
        app.Lifetime.ApplicationStarted.Register(ServerMetrics.Publish);
        return app;
    }
}
