using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Rpc.Contracts.Gateway;
using Rpc.Contracts.Guilds;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Users;
using Rpc.Server.Audit;
using Rpc.Server.Gateway;
using Rpc.Server.Data;
using Rpc.Server.Operations;
using Rpc.Server.Dispatch;
using Rpc.Server.Security;
using Rpc.Server.Services;
using Rpc.Server.Transport;
using Rpc.Server.Events;

namespace Rpc.Server;

/// <summary>Registers the server's parts; Program.cs and the tests compose the app from these.</summary>
public static class ServerComposition
{
    public static IServiceCollection AddRpcServer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServerOptions>().Bind(configuration.GetSection(ServerOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.TrustedProxies.All(Operations.NetworkList.IsValid), "Server:TrustedProxies: every entry must be an IP address or a CIDR range such as 10.0.0.0/8")
            .Validate(o => o.Address is null || System.Net.IPAddress.TryParse(o.Address, out _), "Server:Address must be an IP address such as 127.0.0.1 or 0.0.0.0")
            .ValidateOnStart();
        services.AddOptions<RpcLimitsOptions>().Bind(configuration.GetSection(RpcLimitsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PasswordOptions>().Bind(configuration.GetSection(PasswordOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ConnectionLimitsOptions>().Bind(configuration.GetSection(ConnectionLimitsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SnowflakeOptions>().Bind(configuration.GetSection(SnowflakeOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AccountOptions>().Bind(configuration.GetSection(AccountOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RegistrationOptions>().Bind(configuration.GetSection(RegistrationOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LocalizationOptions>().Bind(configuration.GetSection(LocalizationOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SessionLimitsOptions>().Bind(configuration.GetSection(SessionLimitsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RoleExpiryOptions>().Bind(configuration.GetSection(RoleExpiryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PresenceOptions>().Bind(configuration.GetSection(PresenceOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LargeGuildOptions>().Bind(configuration.GetSection(LargeGuildOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<UserCapsOptions>().Bind(configuration.GetSection(UserCapsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DbConnectionFactory>();
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<DatabaseBackup>();
        services.AddSingleton<SnowflakeGenerator>();
        services.AddSingleton<UserRepository>();
        services.AddSingleton<SessionRepository>();
        services.AddSingleton<GuildRepository>();
        services.AddSingleton<ChannelRepository>();
        services.AddSingleton<ObserverRepository>();
        services.AddSingleton<AccountRegistry>();
        // First of the sinks: a revocation makes cached sessions stale before anything else hears of it.
        services.AddSingleton<UserChangeStamps>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<UserChangeStamps>());
        services.AddSingleton<SessionCache>();
        services.AddSingleton<SelfCache>();
        services.AddSingleton<UsernameCheckCache>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<UsernameCheckCache>());
        services.AddSingleton<PresenceService>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<PresenceService>());

        services.AddSingleton<AuditLog>();
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<InProcessEventBus>();
        services.AddHostedService<EventSinkSubscriptions>();
        var clustered = configuration.GetSection(DatabaseOptions.Section)[nameof(DatabaseOptions.Provider)] == "postgres";
        services.AddOptions<ClusterOptions>().Bind(configuration.GetSection(ClusterOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(new ClusterNode { Clustered = clustered });
        services.AddSingleton<BusOutbox>();
        if (clustered)
        {
            // Several servers may share the database: events and connection closes reach all of them through the
            // outbox, and presence is the cluster's. The leases start first: the bus replays recent presence changes
            // over the snapshot they read.
            services.AddSingleton<PresenceLeases>();
            services.AddHostedService(sp => sp.GetRequiredService<PresenceLeases>());
            services.AddSingleton<PostgresEventBus>();
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<PostgresEventBus>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresEventBus>());
        }
        else
        {
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<InProcessEventBus>());
            services.AddHostedService<OutboxPoller>();
        }
        services.AddSingleton<AudienceResolver>();
        services.AddSingleton<GuildSubscriptions>();
        services.AddSingleton<ISessionStartReads, SessionStartReads>();
        services.AddSingleton<ReadyEventBuilder>();
        services.AddSingleton<GatewayHub>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<GatewayHub>());
        services.AddHostedService(sp => sp.GetRequiredService<GatewayHub>());

        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<PasswordConfirmation>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<LoginRateLimiter>();
        services.AddSingleton<SessionExpirySweeper>();
        services.AddHostedService<PeriodicSweeper<SessionExpirySweeper>>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<LoginRateLimiter>());
        services.AddSingleton<WebSocketAdmission>();
        services.AddSingleton<AddressPacer>();
        services.AddSingleton<ConnectionAdmission>();
        services.AddSingleton<ReplyBudget>();

        services.AddSingleton<CallContextAccessor>();
        services.AddSingleton<ServiceCallAccessor>();
        services.AddSingleton<ErrorMessages>();
        services.AddSingleton<RpcErrorWriter>();
        services.AddSingleton<Errors.ITransientErrors, TransientDatabaseErrors>();
        services.AddSingleton<RpcDispatcher>();
        services.AddSingleton<RpcProcessor>();
        services.AddSingleton<HttpRpcEndpoint>();
        services.AddSingleton<WebSocketRpcEndpoint>();

        services.AddRpcService<IAccountsApi, AccountService>();
        services.AddRpcService<IProfilesApi, ProfileService>();
        services.AddRpcService<IUserSessionsApi, SessionService>();
        services.AddRpcService<IUserChannelsApi, ChannelService>();
        services.AddRpcService<IMembershipsApi, MembershipService>();
        services.AddRpcService<IGatewayApi, GatewayService>();
        services.AddRpcService<IGuildsApi, GuildsService>();

        services.AddSingleton<InstanceInviteRepository>();
        services.AddSingleton<VoiceRepository>();
        services.AddSingleton<AccountRegistration>();
        services.AddSingleton<StaffRoster>();
        services.AddSingleton<IUserDeletionStep, EndSessionsOnUserDeletion>();
        services.AddRpcService<IAdminUsersApi, AdminUsersService>();
        services.AddRpcService<IAdminInvitesApi, AdminInvitesService>();
        services.AddRpcService<IAdminVoiceApi, AdminVoiceService>();
        services.AddRpcService<IAdminAuditApi, AdminAuditService>();
        services.AddRpcService<IAdminGuildsApi, AdminGuildsService>();
        services.AddSingleton<IUserDeletionStep, LeaveGuildsAndGroupDmsOnUserDeletion>();
        services.AddSingleton<IUserDeletionStep, UnlinkDiscordAndRolesOnUserDeletion>();

        // Issue 14: relationships, DM consent, group DM management, leaving the platform.
        services.AddSingleton<RelationshipRepository>();
        services.AddSingleton<ChannelViews>();
        services.AddSingleton<AccountDeletion>();
        services.AddSingleton<IUserDeletionStep, RemoveRelationshipsOnUserDeletion>();
        services.AddRpcService<IRelationshipsApi, RelationshipsService>();
        services.AddRpcService<Rpc.Contracts.Channels.IGroupDmsApi, GroupDmsService>();
        services.AddRpcService<IAccountDeletionApi, AccountDeletionService>();

        services.AddSingleton<DiscordAccountRepository>();
        services.AddSingleton<RoleRepository>();
        services.AddSingleton<DiscordLinker>();
        services.AddSingleton<UserRoleEvents>();
        services.AddRpcService<Rpc.Contracts.Discord.IDiscordApi, DiscordService>();
        services.AddRpcService<Rpc.Contracts.Discord.IDiscordSelfApi, DiscordSelfService>();
        services.AddRpcService<Rpc.Contracts.Roles.IRolesAdminApi, RolesAdminService>();
        services.AddRpcService<Rpc.Contracts.Roles.IDiscordRolesApi, DiscordRolesService>();
        services.AddSingleton<RoleExpirySweeper>();
        services.AddHostedService<PeriodicSweeper<RoleExpirySweeper>>();

        // Issue 15: accounts staff can run.
        services.AddSingleton<PasswordResets>();
        services.AddRpcService<IAdminModerationApi, AdminModerationService>();
        services.AddRpcService<IAccountRecoveryApi, AccountRecoveryService>();
        services.AddRpcService<IBotsApi, BotsService>();
        services.AddOptions<MfaOptions>().Bind(configuration.GetSection(MfaOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LoginSessions>();
        services.AddSingleton<StaffMfaPolicy>();
        services.AddRpcService<IMfaApi, MfaService>();
        services.AddSingleton(sp => new RpcMethodTable(sp.GetServices<RpcService>()));
        services.AddSingleton(sp => new Dispatch.OpenRpc.OpenRpcDocument(sp.GetRequiredService<RpcMethodTable>(), $"{ServerOptions.DefaultAddress}:{ServerOptions.DefaultPort}"));
        services.AddSingleton(sp => new Lazy<Dispatch.OpenRpc.OpenRpcDocument>(sp.GetRequiredService<Dispatch.OpenRpc.OpenRpcDocument>));
        services.AddRpcService<Rpc.Contracts.Protocol.IDiscoveryApi, Dispatch.OpenRpc.DiscoveryService>();
        services.AddRpcOperations(configuration);
        return services;
    }

    /// <summary>Registers <typeparamref name="TService"/> as the implementation of the wire methods of <typeparamref name="TContract"/>.</summary>
    public static IServiceCollection AddRpcService<TContract, TService>(this IServiceCollection services)
        where TContract : class
        where TService : class, TContract
    {
        services.AddSingleton<TService>();
        services.AddSingleton(sp => new RpcService(typeof(TContract), sp.GetRequiredService<TService>()));
        return services;
    }

    public static IWebHostBuilder ConfigureRpcKestrel(this IWebHostBuilder webHost, IConfiguration configuration)
    {
        return webHost.ConfigureKestrel((context, kestrel) =>
        {
            var limits = configuration.GetSection(RpcLimitsOptions.Section).Get<RpcLimitsOptions>() ?? new RpcLimitsOptions();
            var connections = configuration.GetSection(ConnectionLimitsOptions.Section).Get<ConnectionLimitsOptions>() ?? new ConnectionLimitsOptions();
            var admission = kestrel.ApplicationServices.GetRequiredService<ConnectionAdmission>();
            // Before any Listen: endpoint defaults are applied as each endpoint is created.
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection => admission.OnConnectionAsync(connection, next)));
            if (ShorthandEndpoint(configuration) is { } endpoint)
            {
                kestrel.Listen(endpoint);
            }

            kestrel.AddServerHeader = false;
            // Every limit is deliberate and documented in README's limits table.
            // The endpoint answers an oversized body with its own JSON-RPC 413; Kestrel's cap is a backstop.
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBytes + 1;
            kestrel.Limits.MaxRequestHeadersTotalSize = connections.MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestHeaderCount = connections.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestLineSize = connections.MaxRequestLineBytes;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(connections.HandshakeTimeoutSeconds);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(connections.KeepAliveTimeoutSeconds);
            kestrel.Limits.MaxConcurrentConnections = connections.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = connections.MaxWebSockets;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(connections.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
            kestrel.Limits.MinResponseDataRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
            kestrel.Limits.MaxRequestBufferSize = connections.ReadAheadBytes;
        });
    }

    /// <summary>
    /// The endpoint of <c>Server:Address</c>/<c>Server:Port</c> (<c>--address</c>/<c>--port</c>) when either is
    /// set, or 127.0.0.1:8080 when no standard setting names one either; null lets ASP.NET Core's own
    /// <c>urls</c>, <c>http_ports</c>, <c>https_ports</c> or <c>Kestrel:Endpoints</c> decide.
    /// </summary>
    public static System.Net.IPEndPoint? ShorthandEndpoint(IConfiguration configuration)
    {
        var server = configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        var standard = new[] { "urls", "http_ports", "https_ports" }.Any(key => !string.IsNullOrWhiteSpace(configuration[key]))
            || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        if (server.Address is null && server.Port is null && standard)
        {
            return null;
        }

        return new System.Net.IPEndPoint(System.Net.IPAddress.Parse(server.Address ?? ServerOptions.DefaultAddress), server.Port ?? ServerOptions.DefaultPort);
    }

    public static WebApplication MapRpcEndpoints(this WebApplication app)
    {
        // Forwarded headers first, so everything after sees the real client.
        app.UseTrustedProxyHeaders();
        app.Use(app.Services.GetRequiredService<ConnectionAdmission>().RefuseExcessAsync);
        var http = app.Services.GetRequiredService<HttpRpcEndpoint>();
        var ws = app.Services.GetRequiredService<WebSocketRpcEndpoint>();
        var cors = app.Services.GetRequiredService<OriginPolicy>().Enabled;
        // /rpc next and on its own branch: every call skips the routing and the middleware of pages, metrics and
        // health, and since it never answers HTML its security headers are set as it arrives (issue #18).
        app.MapWhen(IsRpcPath, rpc =>
        {
            rpc.UseJsonSecurityHeaders();
            // Only for requests that ask to upgrade: the WebSocket middleware costs every plain POST an allocation.
            rpc.UseWhen(CoalescingUpgradeFeature.IsUpgrade, upgrade =>
            {
                // Before UseWebSockets: a WebSocket writes its queued frames in one system call (issue #18).
                upgrade.Use(CoalescingUpgradeFeature.Install);
                upgrade.UseWebSockets();
            });
            if (cors)
            {
                // Answers the preflight (OPTIONS) itself and adds Access-Control-Allow-Origin for allowed origins.
                rpc.UseCors(OriginPolicy.CorsPolicyName);
            }

            rpc.Run(context => context.WebSockets.IsWebSocketRequest ? ws.HandleAsync(context) : http.HandleAsync(context));
        });

        // The refusal sets its own headers, as every refusal does.
        app.MapWhen(IsBelowRpcPath, below => below.Run(http.NotFoundAsync));

        // Everything else (metrics, health, OpenRPC, pages, 404s) gets the headers its content type calls for.
        app.UseSecurityHeaders();
        app.UseRpcOperations();
        app.UseRouting();
        // Built here, at start-up, so a contract the generator cannot describe fails the start, not a later call.
        var openRpc = app.Services.GetRequiredService<Dispatch.OpenRpc.OpenRpcDocument>();
        app.MapGet("/openrpc.json", () => Results.Bytes(openRpc.Utf8, "application/json"));
        // The pages in wwwroot (copied next to the server's binaries), e.g. /invite_register.html.
        app.UseStaticFiles();
        return app;
    }

    /// <summary>
    /// <c>/rpc</c>, with or without a trailing slash, in any case (as a route would match it). Tested directly, not
    /// with Map: Map's branch is an async step that rewrites PathBase and Path around every call (issue #18).
    /// </summary>
    public static bool IsRpcPath(HttpContext context)
    {
        var path = context.Request.Path.Value.AsSpan();
        if (path.Length == 5 && path[4] == '/')
        {
            path = path[..4];
        }

        return path.Equals("/rpc", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A path below <c>/rpc/</c>, such as <c>/rpc/users.check</c>: answered 404 with a hint, not as a call.</summary>
    public static bool IsBelowRpcPath(HttpContext context) =>
        context.Request.Path.Value is { Length: > 5 } path && path.StartsWith("/rpc/", StringComparison.OrdinalIgnoreCase);
}
