using System.Globalization;
using System.Net.Mail;
using System.Text;
using Rpc.Contracts.Admin;
using Rpc.Contracts.Protocol;
using Rpc.Contracts.Users;
using Rpc.Server.Audit;
using Rpc.Server.Data;
using Rpc.Server.Errors;
using Rpc.Server.Events;
using Rpc.Contracts.Gateway;

namespace Rpc.Server.Services;

/// <summary>The <c>admin.users.*</c> methods: staff create, find, soft-delete and flag users.</summary>
public sealed class AdminUsersService(
    AccountRegistration accounts,
    DbConnectionFactory connections,
    AccountDeletion deletion,
    AuditLog audit,
    IEventBus events,
    ServiceCallAccessor call) : IAdminUsersApi
{
    public const int MaxPerPage = 50;
    private const int MaxEmailLength = 254;
    private const int MaxOffset = 10_000;
    public Task<User> CreateAsync(string username, string email, string password, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        var request = new AccountRequest { Username = username, Password = password, Email = ValidateEmail(email), Hashes = call.Current.Hashes };
        return accounts.CreateAsync(
            request,
            (connection, transaction, user) => audit.RecordAsync(connection, transaction, actor, "user.create", "user", Id(user.Id), null, user, cancellationToken),
            cancellationToken);
    }

    public async Task<IReadOnlyList<User>> SearchAsync(string? username = null, string? discriminator = null, int page = 0, int perPage = 20, long after = 0, CancellationToken cancellationToken = default)
    {
        if (username is null && discriminator is null)
        {
            throw ServiceException.Refused(ErrorData.SearchNeedsFilter);
        }

        if (perPage is < 1 or > MaxPerPage)
        {
            throw ServiceException.Refused(ErrorData.PerPageRange);
        }

        if (page < 0)
        {
            throw ServiceException.Refused(ErrorData.PageNegative);
        }

        // An offset is read and thrown away row by row; past this depth a page costs more than a staff tool should.
        if ((long)page * perPage > MaxOffset)
        {
            throw ServiceException.Refused(ErrorData.SearchPageTooDeep);
        }

        if (after < 0)
        {
            throw ServiceException.Refused(ErrorData.SearchAfterNegative);
        }

        string? prefix = null;
        if (username is not null)
        {
            prefix = AccountRules.KeyOf(username.Normalize(NormalizationForm.FormKC));
            if (new StringInfo(prefix).LengthInTextElements is < 1 or > AccountRules.UsernameMaxLength)
            {
                throw ServiceException.Refused(ErrorData.UsernameFilterLength);
            }
        }

        if (discriminator is not null && !AccountRules.IsDiscriminator(discriminator))
        {
            throw ServiceException.Refused(ErrorData.DiscriminatorFormat);
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await UserAdministration.SearchAsync(connection, prefix, discriminator, after, page * perPage, perPage, cancellationToken).ConfigureAwait(false);
        return rows.Select(r => UserMapper.ToUser(r)).ToArray();
    }

    public async Task<UserDeleteResult> DeleteAsync(long userId, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        if (userId == actor)
        {
            throw ServiceException.Refused(ErrorData.CannotDeleteSelf);
        }

        return await deletion.DeleteAsync(userId, actor, ErrorData.CannotDeleteStaff, cancellationToken).ConfigureAwait(false);
    }

    public async Task<User> UpdateAsync(long userId, IReadOnlyList<UserFlag> flags, CancellationToken cancellationToken = default)
    {
        var actor = call.Current.RequireCaller().UserId;
        foreach (var flag in flags)
        {
            if (!Enum.IsDefined(flag))
            {
                throw ServiceException.Refused(ErrorData.UnknownUserFlag((int)flag));
            }
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var before = await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false)
            ?? throw ServiceException.Refused(ErrorData.UserNotFound(userId));
        if (before.DeletedAt is not null)
        {
            throw ServiceException.Refused(ErrorData.UserDeleted(userId));
        }

        if (flags.Contains(UserFlag.Staff) != ((before.Flags & UserMapper.BitsOf([UserFlag.Staff])) != 0))
        {
            throw ServiceException.Refused(ErrorData.StaffFlagUnchangeable);
        }

        await UserAdministration.SetFlagsExceptStaffAsync(connection, transaction, userId, UserMapper.BitsOf(flags), cancellationToken).ConfigureAwait(false);
        var after = (await UserAdministration.FindByIdAsync(connection, transaction, userId, cancellationToken).ConfigureAwait(false))!;
        var user = UserMapper.ToUser(after);
        if (after.Flags == before.Flags)
        {
            return user;
        }

        await audit.RecordAsync(connection, transaction, actor, "user.update", "user", Id(userId), UserMapper.ToUser(before), user, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        events.Publish(new DispatchEvent(GatewayEvents.UserUpdate, user, new EventAudience.UserAndObservers(userId)));
        return user;
    }

    /// <summary>The email as given, or an error when it is not plausibly an address.</summary>
    private static string ValidateEmail(string email)
    {
        var at = email.LastIndexOf('@');
        var plausible = email.Length <= MaxEmailLength
            && at > 0 && at < email.Length - 1
            && !email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email;
        return plausible ? email : throw ServiceException.Refused(ErrorData.EmailInvalid);
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
