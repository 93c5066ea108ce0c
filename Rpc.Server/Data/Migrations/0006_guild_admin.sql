-- Guild administration (issue 6): features, availability and voice region of a guild.
-- features: a bit set of the accepted features (bit numbers in GuildFeatures), changed by one
-- UPDATE ... SET features = (features & keep) | add, so concurrent add/remove calls never lose each other's bits.
ALTER TABLE guilds ADD COLUMN features BIGINT NOT NULL DEFAULT 0;
ALTER TABLE guilds ADD COLUMN unavailable BOOLEAN NOT NULL DEFAULT FALSE;
-- NULL = no region chosen; a deprecated region (or a VIP one without VIP_REGIONS) disables voice.
ALTER TABLE guilds ADD COLUMN region TEXT REFERENCES voice_regions (id);

-- admin.voice.regions.deprecate finds the guilds that use a region.
CREATE INDEX guilds_region ON guilds (region);

-- admin.users.delete hands an owned guild to its longest-standing member.
CREATE INDEX guild_members_joined ON guild_members (guild_id, joined_at, user_id);
