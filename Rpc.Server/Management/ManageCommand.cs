using System.Globalization;
using Rpc.Server.Data;
using Rpc.Server.Events;
using Rpc.Server.Services;

namespace Rpc.Server.Management;

/// <summary>
/// <c>Rpc.Server manage &lt;command&gt;</c> (<c>./run.sh manage …</c>): instance bootstrap without the API,
/// against the database the server is configured with (<c>appsettings.json</c>, environment variables,
/// <c>--db</c>). Changes go straight to the database, so a running server sees them at its next call, and
/// their events (USER_UPDATE of a staff change…) go through the bus outbox to the running servers' connections
/// (PostgreSQL: woken by NOTIFY; SQLite: within <c>Cluster:OutboxPollInterval</c>).
/// Exit codes: 0 done, 1 refused (unknown user…), 2 usage error.
/// </summary>
public static class ManageCommand
{
    public const string Verb = "manage";

    private const string Usage = """
        usage: ./run.sh manage <command> [--db PATH]
          make-staff <username>     give a user the Staff flag (access to admin.*)
          remove-staff <username>   take the Staff flag away
          make-invite [max_uses]    create an instance invite (default 1 use; -1 unlimited, 0 disabled)
          list-staff                list the staff users
          reset-password <username> print a single-use password reset code (24 h) for users.resetPassword,
                                    for staff locked out of their own account
          backup <path>             write a consistent copy of the database while servers keep running
                                    (SQLite: VACUUM INTO; PostgreSQL: pg_dump --format=custom)
          restore <path>            replace the database with a backup; refused while a server uses it
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var (options, positional) = ServerCommandLine.Split(args);
        if (positional.Count == 0)
        {
            error.WriteLine(Usage);
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        ServerCommandLine.AddTo(builder.Configuration, options);
        // Only problems are logged, to standard error, whatever the server's logging settings: the
        // command's own output is what it did.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.PostConfigure<LoggerFilterOptions>(o =>
        {
            o.Rules.Clear();
            o.MinLevel = LogLevel.Warning;
        });
        builder.Services.AddRpcServer(builder.Configuration);
        // The command's events wait for its end, then go to the outbox in one append (no hosted service runs here).
        builder.Services.AddSingleton<OutboxEventBus>();
        builder.Services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<OutboxEventBus>());
        using var host = builder.Build();
        var services = host.Services;

        var command = positional[0];
        var rest = positional.Skip(1).ToArray();
        if ((command, rest.Length) is ("backup", 1) or ("restore", 1))
        {
            // Neither migrates first: a backup copies the database as it is, and a restore must not open the one it replaces.
            return await CopyDatabaseAsync(services, command, rest[0], output, error).ConfigureAwait(false);
        }

        Func<Task<int>>? run = (command, rest.Length) switch
        {
            ("make-staff", 1) => () => SetStaffAsync(services, rest[0], true, output, error),
            ("remove-staff", 1) => () => SetStaffAsync(services, rest[0], false, output, error),
            ("list-staff", 0) => () => ListStaffAsync(services, output),
            ("make-invite", <= 1) => () => MakeInviteAsync(services, rest.FirstOrDefault(), output, error),
            ("reset-password", 1) => () => ResetPasswordAsync(services, rest[0], output, error),
            _ => null,
        };
        if (run is null)
        {
            error.WriteLine($"manage: unknown command or wrong arguments: {string.Join(' ', positional)}");
            error.WriteLine(Usage);
            return 2;
        }

        await services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None).ConfigureAwait(false);
        output.WriteLine($"database: {services.GetRequiredService<DbConnectionFactory>().Description}");
        var exitCode = await run().ConfigureAwait(false);
        var published = await services.GetRequiredService<OutboxEventBus>().FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (published > 0)
        {
            output.WriteLine($"sent {published} event(s) to the running servers");
        }

        return exitCode;
    }

    private static async Task<int> CopyDatabaseAsync(IServiceProvider services, string command, string path, TextWriter output, TextWriter error)
    {
        output.WriteLine($"database: {services.GetRequiredService<DbConnectionFactory>().Description}");
        var backups = services.GetRequiredService<DatabaseBackup>();
        try
        {
            output.WriteLine(command == "backup"
                ? await backups.BackupAsync(path, CancellationToken.None).ConfigureAwait(false)
                : await backups.RestoreAsync(path, services.GetRequiredService<TimeProvider>(), CancellationToken.None).ConfigureAwait(false));
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            error.WriteLine($"manage {command}: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> SetStaffAsync(IServiceProvider services, string username, bool staff, TextWriter output, TextWriter error)
    {
        var (change, user) = await services.GetRequiredService<StaffRoster>().SetStaffAsync(username, staff, CancellationToken.None).ConfigureAwait(false);
        switch (change)
        {
            case StaffChange.UnknownUser:
                error.WriteLine($"manage: no user named '{username}'");
                return 1;
            case StaffChange.Unchanged:
                output.WriteLine(staff ? $"{Describe(user!)} is already staff; nothing changed" : $"{Describe(user!)} is not staff; nothing changed");
                return 0;
            default:
                output.WriteLine(staff ? $"{Describe(user!)} is now staff" : $"{Describe(user!)} is no longer staff");
                return 0;
        }
    }

    private static async Task<int> ListStaffAsync(IServiceProvider services, TextWriter output)
    {
        var staff = await services.GetRequiredService<StaffRoster>().ListAsync(CancellationToken.None).ConfigureAwait(false);
        output.WriteLine(staff.Count == 0 ? "no staff users" : $"{staff.Count} staff user(s):");
        foreach (var user in staff)
        {
            output.WriteLine("  " + Describe(user));
        }

        return 0;
    }

    private static async Task<int> MakeInviteAsync(IServiceProvider services, string? maxUsesText, TextWriter output, TextWriter error)
    {
        var maxUses = 1;
        if (maxUsesText is not null && !int.TryParse(maxUsesText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out maxUses))
        {
            error.WriteLine($"manage: max_uses must be a whole number, not '{maxUsesText}'");
            return 2;
        }

        try
        {
            var invite = await services.GetRequiredService<AdminInvitesService>().CreateAsync(null, maxUses, CancellationToken.None).ConfigureAwait(false);
            var uses = invite.MaxUses switch { -1 => "unlimited uses", 0 => "disabled", 1 => "1 use", var n => $"{n} uses" };
            output.WriteLine($"created invite {invite.Code} ({uses})");
            output.WriteLine($"register at: /invite_register.html?code={invite.Code}");
            return 0;
        }
        catch (Errors.ServiceException e)
        {
            error.WriteLine($"manage: {e.ErrorData}");
            return 1;
        }
    }

    private static async Task<int> ResetPasswordAsync(IServiceProvider services, string username, TextWriter output, TextWriter error)
    {
        var user = await services.GetRequiredService<StaffRoster>().FindAsync(username, CancellationToken.None).ConfigureAwait(false);
        if (user is null)
        {
            error.WriteLine($"manage: no user named '{username}'");
            return 1;
        }

        try
        {
            var reset = await services.GetRequiredService<PasswordResets>().IssueAsync(user.Id, null, CancellationToken.None).ConfigureAwait(false);
            output.WriteLine($"password reset code for {Describe(user)}: {reset.Code}");
            output.WriteLine($"valid until {reset.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC, once; spend it with users.resetPassword {{code, password}}");
            return 0;
        }
        catch (Errors.ServiceException e)
        {
            error.WriteLine($"manage: {e.ErrorData}");
            return 1;
        }
    }

    private static string Describe(Rpc.Contracts.Users.User user) =>
        $"{user.Username}#{user.Discriminator} (id {user.Id.ToString(CultureInfo.InvariantCulture)})";
}
