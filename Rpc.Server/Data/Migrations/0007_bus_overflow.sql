-- Bus messages too large for a PostgreSQL NOTIFY payload (8000 bytes) travel through this table: the
-- notification carries the row's id and the rows are deleted after a minute. Unused on SQLite, where
-- one process serves the database and the bus is in-process.
CREATE TABLE bus_overflow (
    id         BIGINT PRIMARY KEY,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
