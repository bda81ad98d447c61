-- The event stream every node publishes into in its commit transactions
-- and tails while someone watches (kept for a while, then pruned).
CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (at);
