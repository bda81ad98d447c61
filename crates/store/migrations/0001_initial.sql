-- Records are kept as JSON documents with the columns the store looks up by.
CREATE TABLE instances (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    product TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE operations (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    state TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX operations_in_flight ON operations (state) WHERE state = 'Operating';
CREATE INDEX operations_by_instance ON operations (account, instance_id);
CREATE TABLE key_pairs (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    product TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    created_at INTEGER NOT NULL,
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
