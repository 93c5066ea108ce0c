-- Several servers on one database (issue #17).
--
-- The bus between servers: every message in order of position, so a server that lost its LISTEN connection
-- reads on from the last position it delivered. Positions are given under a lock (BusOutbox.AppendAsync), so
-- they commit in order and a reader never skips one still being written. Stream 0 carries events and other
-- messages, stream 1 connection closes (read by a loop of their own, so they never wait behind events).
-- On SQLite only `./run.sh manage` writes here, and the one server polls.
CREATE TABLE bus_outbox (
    position   BIGINT  PRIMARY KEY,
    stream     INTEGER NOT NULL,
    node       TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX bus_outbox_stream ON bus_outbox (stream, position);
CREATE INDEX bus_outbox_created ON bus_outbox (created_at);

-- Large messages now travel in the outbox itself.
DROP TABLE bus_overflow;

-- Each server's lease: its presence rows count while lease_until (Unix ms) has not passed.
CREATE TABLE cluster_nodes (
    node        TEXT   PRIMARY KEY,
    lease_until BIGINT NOT NULL
);

-- The users each server holds gateway connections of (or keeps present through the grace period), written
-- in batches; read by a server that starts, which learns the rest from the bus.
CREATE TABLE presence_connections (
    node        TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL,
    connections INTEGER NOT NULL,
    chosen      INTEGER NULL,
    PRIMARY KEY (node, user_id)
);
