-- Accounts that staff can run (issue #15): two-factor login, bot accounts, suspension, password reset.
-- The substring index on usernames differs by engine (SQLite FTS5 trigrams, PostgreSQL pg_trgm), so
-- this migration's code step (Data/UsernameSearchIndex.cs) creates it.

-- TOTP (RFC 6238). A row without enabled_at is an enrolment waiting for users.mfa.confirm.
-- last_step is the highest time step accepted: a code of that step or an older one is never taken again.
CREATE TABLE user_mfa (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    secret     TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    enabled_at BIGINT,
    last_step  BIGINT NOT NULL DEFAULT 0
);

-- One-time backup codes, hashed (SHA-256 of a 10-character random code); used_at marks a spent one.
CREATE TABLE mfa_backup_codes (
    user_id   BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT   NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- The short-lived, single-use ticket users.auth returns when MFA is on. It is tied to the password hash
-- it verified, so a password change in between voids it, as it voids a plain login.
CREATE TABLE mfa_tickets (
    ticket_hash   TEXT   PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    password_hash TEXT   NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX mfa_tickets_user ON mfa_tickets (user_id);
CREATE INDEX mfa_tickets_expires ON mfa_tickets (expires_at);

-- A disabled account: no sessions, no logins, until staff enable it or ends_at passes (NULL: until enabled).
CREATE TABLE user_suspensions (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    reason     TEXT   NOT NULL,
    ends_at    BIGINT,
    created_at BIGINT NOT NULL,
    actor_id   BIGINT REFERENCES users (id)
);
CREATE INDEX user_suspensions_ends ON user_suspensions (ends_at);

-- Single-use password reset codes issued by staff (or ./run.sh manage reset-password), hashed, 24 h.
CREATE TABLE password_resets (
    code_hash  TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    actor_id   BIGINT REFERENCES users (id)
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Bot accounts (users with the Bot flag and no usable password) and who owns them.
CREATE TABLE bots (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    owner_id   BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX bots_owner ON bots (owner_id, user_id);

-- A bot's token does not expire with Sessions:IdleDays/AbsoluteDays; it lasts until reset or revoked.
ALTER TABLE sessions ADD COLUMN never_expires BOOLEAN NOT NULL DEFAULT FALSE;
