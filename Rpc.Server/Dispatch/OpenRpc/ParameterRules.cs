using System.Text.Json.Nodes;
using Rpc.Server.Services;

namespace Rpc.Server.Dispatch.OpenRpc;

/// <summary>
/// The limits the services enforce on params, as JSON Schema keywords. Every number and pattern is the
/// constant the validator itself uses, so the document cannot drift from the checks. Keys are a wire
/// param name (any method) or <c>method param</c> (that method only, which wins). Lengths count what the
/// server counts: grapheme clusters, so a combining sequence may be longer in code points.
/// </summary>
internal static class ParameterRules
{
    private static readonly Dictionary<string, Action<JsonObject>> Rules = new(StringComparer.Ordinal)
    {
        ["username"] = s => Length(s, AccountRules.UsernameMinLength, AccountRules.UsernameMaxLength),
        ["users.check username"] = _ => { },
        ["users.auth username"] = _ => { },
        ["users.relationships.add username"] = _ => { },
        ["admin.users.search username"] = s => Length(s, 1, AccountRules.UsernameMaxLength),
        ["password"] = s => Length(s, AccountRules.PasswordMinLength, AccountRules.PasswordMaxLength),
        ["users.auth password"] = _ => { },
        ["users.delete password"] = _ => { },
        ["new_password"] = s => Length(s, AccountRules.PasswordMinLength, AccountRules.PasswordMaxLength),
        ["display_name"] = s => Length(s, 1, AccountRules.DisplayNameMaxLength),
        ["users.update discriminator"] = s => Pattern(s, "^(?!0000)[0-9]{4}$"),
        ["admin.users.search discriminator"] = s => Pattern(s, "^(?!0000)[0-9]{4}$"),
        ["users.update avatar"] = s => { Length(s, 0, 128); Pattern(s, "^[A-Za-z0-9_-]*$"); },
        ["limit"] = s => { s["minimum"] = 1; s["maximum"] = Paging.MaxLimit; s["default"] = Paging.DefaultLimit; },
        ["per_page"] = s => { s["minimum"] = 1; s["maximum"] = AdminUsersService.MaxPerPage; },
        ["page"] = s => s["minimum"] = 0,
        ["guilds.create name"] = s => Length(s, GuildsService.NameMinLength, GuildsService.NameMaxLength),
        ["guilds.update name"] = s => Length(s, GuildsService.NameMinLength, GuildsService.NameMaxLength),
        ["users.createGroupDm name"] = s => Length(s, 1, ChannelService.MaxGroupDmNameLength),
        ["users.groupDm.update name"] = s => Length(s, 1, ChannelService.MaxGroupDmNameLength),
        ["admin.roles.create name"] = s => Length(s, 1, DiscordRules.RoleNameMaxLength),
        ["admin.roles.update name"] = s => Length(s, 1, DiscordRules.RoleNameMaxLength),
        ["admin.voice.regions.create name"] = s => Length(s, 1, AdminVoiceService.MaxNameLength),
        ["recipient_ids"] = s => { s["minItems"] = 1; s["maxItems"] = ChannelService.MaxGroupDmRecipients; s["uniqueItems"] = true; },
        ["guilds.invites.create max_uses"] = s => { s["minimum"] = 0; s["maximum"] = GuildsService.MaxInviteUses; },
        ["max_age"] = s => { s["minimum"] = 0; s["maximum"] = GuildsService.MaxInviteAgeSeconds; },
        ["admin.invites.create max_uses"] = s => s["minimum"] = -1,
        ["users.createDm type"] = s => s["enum"] = new JsonArray(2),
        ["users.createGroupDm type"] = s => s["enum"] = new JsonArray(3),
        ["discord_id"] = s => Pattern(s, DiscordRules.SnowflakePattern),
        ["discord_role_id"] = s => Pattern(s, DiscordRules.SnowflakePattern),
        ["discord.check id"] = s => Pattern(s, DiscordRules.SnowflakePattern),
        ["discord.infos id"] = s => Pattern(s, DiscordRules.SnowflakePattern),
        ["discord.link avatar"] = s => Pattern(s, DiscordRules.AvatarPattern),
        ["users.linkDiscord avatar"] = s => Pattern(s, DiscordRules.AvatarPattern),
        ["discord.link discriminator"] = s => Pattern(s, DiscordRules.DiscriminatorPattern),
        ["users.linkDiscord discriminator"] = s => Pattern(s, DiscordRules.DiscriminatorPattern),
        ["locale"] = s => Pattern(s, DiscordRules.LocalePattern),
        ["flags"] = s => s["minimum"] = 0,
        ["admin.users.update flags"] = _ => { },
        ["slug"] = s => Pattern(s, DiscordRules.SlugPattern),
        ["priority"] = s => { s["minimum"] = 0; s["maximum"] = DiscordRules.MaxRolePriority; },
        ["expiryDate"] = s => Pattern(s, ExpiryDates.ShapePattern),
        ["admin.voice.regions.create id"] = s => Pattern(s, AdminVoiceService.RegionIdPattern),
        ["hostname"] = s => Pattern(s, AdminVoiceService.HostnamePattern),
    };

    /// <summary>Adds the limits of <paramref name="method"/>'s param <paramref name="param"/> to its schema.</summary>
    public static void Apply(string method, string param, JsonObject schema)
    {
        if (Rules.TryGetValue($"{method} {param}", out var rule) || Rules.TryGetValue(param, out rule))
        {
            rule(schema);
        }
    }

    private static void Length(JsonObject schema, int min, int max)
    {
        schema["minLength"] = min;
        schema["maxLength"] = max;
    }

    // .NET's \z (end of input) is $ in ECMA-262, which JSON Schema patterns use; the rest of these patterns
    // is common to both dialects.
    private static void Pattern(JsonObject schema, string pattern) => schema["pattern"] = pattern.Replace(@"\z", "$", StringComparison.Ordinal);
}
