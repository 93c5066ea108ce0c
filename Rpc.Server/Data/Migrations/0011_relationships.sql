-- Relationships as Discord models them: one row per user and other user, so each side has its own view.
-- Friends have a row each (type 1); a request is a pair (4 outgoing for the sender, 3 incoming for the
-- receiver); a block (2) is the blocker's row alone, so the blocked user's view never shows it.
CREATE TABLE relationships (
    user_id   BIGINT  NOT NULL REFERENCES users (id),
    other_id  BIGINT  NOT NULL REFERENCES users (id),
    type      INTEGER NOT NULL,
    since     BIGINT  NOT NULL,
    PRIMARY KEY (user_id, other_id)
);

-- The other side's rows (who blocked me, who lists me as a friend).
CREATE INDEX relationships_other ON relationships (other_id, user_id);

-- Privacy settings; a user without a row has the defaults (DMs from guild members allowed, friend
-- requests from everyone), so existing users need no rows.
CREATE TABLE user_settings (
    user_id                      BIGINT  PRIMARY KEY REFERENCES users (id),
    allow_dms_from_guild_members BOOLEAN NOT NULL,
    friend_requests_from         TEXT    NOT NULL
);

-- When each recipient joined (a group DM passes to its longest-standing recipient) and whether the
-- recipient closed a one-to-one DM (users.closeDm). Existing recipients joined when their channel was made.
ALTER TABLE channel_recipients ADD COLUMN joined_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channel_recipients ADD COLUMN closed BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE channel_recipients SET joined_at = (SELECT c.created_at FROM channels c WHERE c.id = channel_recipients.channel_id);

-- Who made a channel: the DMs a user opened in the last hour are counted from here. Unknown (NULL) for
-- DMs made before this migration, which therefore count for nobody.
ALTER TABLE channels ADD COLUMN creator_id BIGINT REFERENCES users (id);
UPDATE channels SET creator_id = owner_id WHERE type = 3;
CREATE INDEX channels_creator ON channels (creator_id, created_at);
CREATE INDEX channels_owner ON channels (owner_id);

-- Observers were derived from shared guilds and shared DMs; from here on they are guild mates and
-- friends (ObserverRepository), so DMs opened without consent stop exposing presence the moment this
-- runs. Existing DMs stay listed: no friendship is invented for them, since nobody consented to one.
