-- Accounts and sessions. Times are Unix milliseconds (BIGINT) so the schema reads the same in
-- SQLite and PostgreSQL.
CREATE TABLE users (
    id             BIGINT PRIMARY KEY,
    username       TEXT    NOT NULL,
    -- NFKC-normalized, lower-cased username: what uniqueness and look-ups compare.
    username_key   TEXT    NOT NULL,
    -- username_key while usernames are unique per instance; NULL for accounts that give up their
    -- claim (soft-deleted users). NULLs never collide, so the database enforces uniqueness.
    username_claim TEXT    UNIQUE,
    discriminator  TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    avatar         TEXT,
    email          TEXT,
    flags          BIGINT  NOT NULL DEFAULT 0,
    password_hash  TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    deleted_at     BIGINT
);

CREATE UNIQUE INDEX users_tag ON users (username_key, discriminator);

CREATE TABLE sessions (
    id             BIGINT PRIMARY KEY,
    user_id        BIGINT  NOT NULL REFERENCES users (id),
    token_hash     TEXT    NOT NULL UNIQUE,
    created_at     BIGINT  NOT NULL,
    last_used_at   BIGINT  NOT NULL,
    client_address TEXT,
    user_agent     TEXT,
    revoked_at     BIGINT
);

CREATE INDEX sessions_user ON sessions (user_id);
