-- Linked Discord accounts (seed 000), the role catalogue and the roles users hold (seed 002).
-- A user has at most one link (primary key) and a Discord id belongs to at most one user (unique index).
CREATE TABLE discord_accounts (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id),
    discord_id    BIGINT  NOT NULL,
    avatar        TEXT,
    discriminator TEXT,
    locale        TEXT,
    mfa_enabled   INTEGER NOT NULL DEFAULT 0,
    flags         BIGINT  NOT NULL DEFAULT 0,
    linked_at     BIGINT  NOT NULL
);

CREATE UNIQUE INDEX discord_accounts_discord_id ON discord_accounts (discord_id);

CREATE TABLE roles (
    id              BIGINT PRIMARY KEY,
    name            TEXT    NOT NULL,
    slug            TEXT    NOT NULL,
    priority        INTEGER NOT NULL,
    discord_role_id BIGINT,
    created_at      BIGINT  NOT NULL
);

CREATE UNIQUE INDEX roles_slug ON roles (slug);

-- expires_at NULL: permanent. A row whose expires_at is not after now is expired: never read, and
-- deleted by the sweeper. One row per (user, role), so a role is never held twice.
CREATE TABLE user_roles (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    role_id    BIGINT NOT NULL REFERENCES roles (id),
    expires_at BIGINT,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id)
);

CREATE INDEX user_roles_role ON user_roles (role_id);
CREATE INDEX user_roles_expires ON user_roles (expires_at);
