-- Audit records of admin changes: who did what to what, with the state before and after (JSON).
CREATE TABLE audit_log (
    id          BIGINT PRIMARY KEY,
    actor_id    BIGINT,
    action      TEXT   NOT NULL,
    target_type TEXT   NOT NULL,
    target_id   TEXT   NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    created_at  BIGINT NOT NULL
);

CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
