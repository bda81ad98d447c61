-- Nodes that host real machines (the QEMU driver). An operation bound to a
-- node runs there only: it is never taken over by another node's sweep.
ALTER TABLE operations ADD COLUMN node TEXT;
CREATE INDEX operations_by_node ON operations (node) WHERE state = 'Operating';
-- Each node's heartbeat: the machines it hosts, how many it may, and when
-- it was last seen (milliseconds since the epoch, the node's clock).
CREATE TABLE nodes (
    name TEXT PRIMARY KEY,
    hosted BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
