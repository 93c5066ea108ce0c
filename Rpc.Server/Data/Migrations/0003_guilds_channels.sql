-- Guilds (communities), their members and invites; DM (type 2) and group DM (type 3) channels with
-- their recipients. Presence is not stored: it lives in memory in PresenceService.
CREATE TABLE guilds (
    id          BIGINT PRIMARY KEY,
    name        TEXT   NOT NULL,
    owner_id    BIGINT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE guild_members (
    guild_id    BIGINT NOT NULL REFERENCES guilds (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    joined_at   BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- A user's guilds in id order (users.guilds) and the observers of a user (shared guilds).
CREATE INDEX guild_members_user ON guild_members (user_id, guild_id);

CREATE TABLE guild_invites (
    code        TEXT   PRIMARY KEY,
    guild_id    BIGINT NOT NULL REFERENCES guilds (id),
    inviter_id  BIGINT NOT NULL REFERENCES users (id),
    -- 0 = unlimited; otherwise joins are counted by a conditional UPDATE ... WHERE uses < max_uses.
    max_uses    INTEGER NOT NULL,
    uses        INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    -- NULL = never expires.
    expires_at  BIGINT
);

CREATE INDEX guild_invites_guild ON guild_invites (guild_id);

CREATE TABLE channels (
    id          BIGINT  PRIMARY KEY,
    type        INTEGER NOT NULL,
    -- Group DMs only.
    name        TEXT,
    owner_id    BIGINT  REFERENCES users (id),
    -- DMs only: "<smaller user id>:<larger user id>". UNIQUE makes two racing users.createDm calls
    -- end with one channel; NULLs (group DMs) never collide.
    dm_key      TEXT    UNIQUE,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE channel_recipients (
    channel_id  BIGINT NOT NULL REFERENCES channels (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (channel_id, user_id)
);

CREATE INDEX channel_recipients_user ON channel_recipients (user_id, channel_id);
