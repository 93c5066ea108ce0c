-- Staff administration: instance invites, voice regions and servers, and the indexes admin.users.search needs.

-- Invites that let people register on an instance whose registration is invite-only.
-- max_uses: -1 unlimited, 0 disabled, N at most N accounts; uses only grows, by a conditional UPDATE.
CREATE TABLE instance_invites (
    id         BIGINT PRIMARY KEY,
    code       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    max_uses   BIGINT NOT NULL,
    uses       BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE voice_regions (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    vip        BOOLEAN NOT NULL DEFAULT FALSE,
    deprecated BOOLEAN NOT NULL DEFAULT FALSE,
    custom     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT  NOT NULL
);

CREATE TABLE voice_servers (
    hostname    TEXT             PRIMARY KEY,
    region_id   TEXT             NOT NULL REFERENCES voice_regions (id),
    last_health DOUBLE PRECISION NOT NULL,
    created_at  BIGINT           NOT NULL
);

CREATE INDEX voice_servers_region ON voice_servers (region_id, hostname);

-- admin.users.search: a username prefix is a range on username_key (id included so a range scan
-- reads only the index); a discriminator is an equality whose matches come in id order.
CREATE INDEX users_search_name ON users (username_key, id);
CREATE INDEX users_search_discriminator ON users (discriminator, id);
