-- Records are kept as JSON documents with the columns the store looks up by
-- (the SQLite schema, with 64-bit integers; `seq` keeps insertion order,
-- which SQLite gets from its rowid).
CREATE TABLE instances (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    product TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE operations (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    state TEXT NOT NULL,
    deadline BIGINT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX operations_in_flight ON operations (state) WHERE state = 'Operating';
CREATE INDEX operations_by_instance ON operations (account, instance_id);
CREATE TABLE key_pairs (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    product TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE messages (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX messages_by_account ON messages (account, created_at);
CREATE TABLE client_tokens (
    account TEXT NOT NULL,
    product TEXT NOT NULL,
    token TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, product, token)
);
